import Foundation

/// A throw-away CA with a server certificate for 127.0.0.1 and a client certificate, made
/// with the openssl command (for tests of TLS listeners and client certificates).
public struct TestCertificates: Sendable {
    public let caFile: String
    public let certFile: String
    public let keyFile: String
    public let clientCertFile: String
    public let clientKeyFile: String

    /// Why openssl could not make the files.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        caFile = directory + "/ca.crt"
        certFile = directory + "/server.crt"
        keyFile = directory + "/server.key"
        clientCertFile = directory + "/client.crt"
        clientKeyFile = directory + "/client.key"
        let san = directory + "/san.cnf"
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: san, atomically: true, encoding: .utf8)
        let ca = ["-CA", caFile, "-CAkey", directory + "/ca.key", "-CAcreateserial", "-days", "1"]
        let steps: [[String]] = [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", directory + "/ca.key", "-out", caFile, "-days", "1",
             "-subj", "/CN=iotgw-test-ca"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", directory + "/server.csr", "-subj", "/CN=127.0.0.1"],
            ["x509", "-req", "-in", directory + "/server.csr", "-out", certFile, "-extfile", san] + ca,
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", clientKeyFile, "-out", directory + "/client.csr",
             "-subj", "/CN=iotgw-test-client"],
            ["x509", "-req", "-in", directory + "/client.csr", "-out", clientCertFile] + ca,
        ]
        for arguments in steps {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw Failure(description: "openssl \(arguments.joined(separator: " ")) failed")
            }
        }
    }
}
