import ArgumentParser
import Foundation
import Storage

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage REST API keys (stored hashed in DATA/iotgw.sqlite).",
        subcommands: [Create.self, List.self, Revoke.self])

    struct DataOption: ParsableArguments {
        @Option(help: "The gateway's data directory.")
        var data = "data"

        func database() throws -> GatewayDatabase {
            let path = (data as NSString).appendingPathComponent("iotgw.sqlite")
            guard FileManager.default.fileExists(atPath: path) else {
                throw ValidationError("No gateway database at \(path): run `iotgw serve --data \(data)` once first.")
            }
            return try GatewayDatabase(path: path)
        }

        func open() throws -> APIKeyStore { try APIKeyStore(database: try database()) }
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a key and print it as JSON {keyId, secret, role}; the secret is shown only now.")
        @OptionGroup var options: DataOption
        @Option(help: "Role of the key.") var role = "admin"
        @Option(help: "What the key is for.") var description = ""

        func run() throws {
            let key = try options.open().create(role: role, description: description)
            print(try jsonLine(key))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (ids, roles, dates; never secrets) as JSON.")
        @OptionGroup var options: DataOption

        func run() throws {
            print(try jsonLine(["keys": try options.open().list()]))
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a key; a running gateway refuses it within 2 seconds.")
        @OptionGroup var options: DataOption
        @Argument(help: "The keyId to revoke.") var keyId: String

        func run() throws {
            guard try options.open().revoke(keyId: keyId) else {
                throw ValidationError("No active key with id \(keyId).")
            }
            print("revoked \(keyId)")
        }
    }
}

func jsonLine(_ value: some Encodable) throws -> String {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try e.encode(value), as: UTF8.self)
}
