/// A problem in a `devices/` file, located by file and line so the user can fix it.
public struct DeviceFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, so callers and tests can tell problems apart without parsing text.
    public enum Kind: Sendable, Equatable {
        /// The file could not be read, or the folder could not be listed.
        case unreadable
        /// The text is not well-formed YAML.
        case syntax
        /// A key the format does not know.
        case unknownKey
        /// A key the format requires is absent.
        case missingKey
        /// A value of the wrong type or out of its range.
        case invalidValue
        /// A telemetry field names a generator that does not exist.
        case unknownGenerator
        /// A fleet names a device type that no file defines.
        case unknownDeviceType
        /// A device type, fleet or thing name is defined twice.
        case duplicateName
        /// An id pattern that cannot produce valid, unique thing names.
        case invalidIdPattern
        /// A topic template that is not a valid MQTT topic name with a `{thing}` level.
        case invalidTopic
    }

    public var kind: Kind
    public var file: String
    /// 1-based; 0 when the problem concerns the whole file.
    public var line: Int
    /// 1-based, counted in Unicode scalars; nil when unknown.
    public var column: Int?
    /// A full sentence naming the field and value at fault.
    public var message: String

    public init(_ kind: Kind, file: String, line: Int, column: Int? = nil, message: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)"
    }
}

/// A place in a `devices/` file, kept on definitions so later checks can point back at them.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int?

    public init(file: String, line: Int, column: Int? = nil) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line)" }

    func error(_ kind: DeviceFileError.Kind, _ message: String) -> DeviceFileError {
        DeviceFileError(kind, file: file, line: line, column: column, message: message)
    }
}
