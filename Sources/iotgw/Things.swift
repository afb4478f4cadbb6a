import ArgumentParser
import Devices
import Foundation
import Storage

struct Things: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect registered things and their MQTT credentials.",
        subcommands: [List.self, Credentials.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List registered things as JSON.")
        @OptionGroup var options: Keys.DataOption

        func run() throws {
            let db = try options.database()
            print(try jsonLine(["things": try ThingRegistry(database: db).list(limit: Int.max)]))
        }
    }

    struct Credentials: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a thing's MQTT credentials as JSON {username, password}.",
            discussion: "The client id must equal the thing name; the broker's ACL allows a thing its own topics only.")
        @OptionGroup var options: Keys.DataOption
        @Argument(help: "The thing name.") var thing: String

        func run() throws {
            let db = try options.database()
            guard try ThingRegistry(database: db).get(thing) != nil else {
                throw ValidationError("No registered thing named \(thing) (see `iotgw things list`).")
            }
            let key = try DeviceCredentials.loadOrCreateKey(dataDirectory: options.data)
            print(try jsonLine(["username": thing, "password": DeviceCredentials.password(for: thing, key: key)]))
        }
    }
}
