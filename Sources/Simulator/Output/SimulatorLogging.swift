import Logging

/// Logging for the iotsim binary: thousands of simulated clients must not flood the terminal with
/// per-connection warnings, so only errors show unless asked otherwise.
public enum SimulatorLogging {
    public static func bootstrap(verbose: Bool) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = verbose ? .info : .error
            return handler
        }
    }
}
