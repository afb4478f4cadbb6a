import Foundation

/// Writes the generated broker files: config, password file (mode 0600) and ACL.
public enum BrokerFiles {
    public static func write(config: MosquittoConfig, users: [(username: String, password: String)], acl: MosquittoACL) throws(BrokerError) {
        let passwords = try MosquittoPasswordFile.render(users: users)
        let aclText = try acl.render()
        do {
            try FileManager.default.createDirectory(atPath: config.persistenceDirectory, withIntermediateDirectories: true)
        } catch {
            throw .cannotWrite(path: config.persistenceDirectory, reason: error.localizedDescription)
        }
        try write(passwords, to: config.passwordFilePath, mode: 0o600)
        try write(aclText, to: config.aclFilePath, mode: 0o644)
        if let psk = config.pskListener { try write(psk.fileLine + "\n", to: config.pskFilePath, mode: 0o600) }
        try write(config.render(), to: config.configPath, mode: 0o644)
    }

    private static func write(_ text: String, to path: String, mode: Int) throws(BrokerError) {
        let created = FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
        if !created { throw .cannotWrite(path: path, reason: String(cString: strerror(errno))) }
    }
}
