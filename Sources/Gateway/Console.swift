import Foundation

/// Status lines for the person or script running `iotgw serve`.
public enum Console {
    /// Writes `line` to stdout at once: scripts and tests read the chosen ports as they
    /// appear, and `print` would sit in a block buffer when stdout is a file or pipe.
    public static func line(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
