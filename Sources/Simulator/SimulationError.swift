import Devices

/// Why a run could not start or finish; `description` is one line a user can act on.
public enum SimulationError: Error, Sendable, CustomStringConvertible {
    /// A device or scenario file is wrong (`file:line: message`).
    case file(DeviceFileError)
    /// A flag or setting is wrong or contradicts the device files.
    case invalidInput(String)
    /// The broker could not be reached or refused the devices' credentials.
    case connection(String)
    /// A worker process failed or stopped talking.
    case worker(String)
    /// A benchmark did not complete (its sentence says what was missing).
    case benchmark(String)

    public var description: String {
        switch self {
        case .file(let e): return e.description
        case .invalidInput(let s), .connection(let s), .worker(let s), .benchmark(let s): return s
        }
    }
}
