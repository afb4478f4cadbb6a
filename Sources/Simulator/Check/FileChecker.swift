import Devices
import Foundation

/// `iotsim check`: validates device files and scenario files together, as a run would read them.
public enum FileChecker {
    /// What a check found: problems as `file:line: message`, and a one-line summary when there are none.
    public struct Result: Sendable {
        public var problems: [String]
        public var summary: String
    }

    /// Checks every path (files, or folders of `*.yaml`/`*.yml`); device files are merged like a `devices/` folder.
    public static func check(paths: [String]) -> Result {
        var problems: [String] = []
        var deviceFiles: [String] = []
        var scenarios: [(String, ScenarioSettings)] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                problems.append("\(path): no such file or folder")
                continue
            }
            let files: [String]
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                let base = path.hasSuffix("/") ? String(path.dropLast()) : path
                files = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { base + "/" + $0 }
            } else {
                files = [path]
            }
            for file in files {
                let text = FileManager.default.contents(atPath: file).flatMap { String(data: $0, encoding: .utf8) } ?? ""
                if ScenarioFile.looksLikeScenario(text) {
                    do { scenarios.append((file, try ScenarioFile.parse(text, file: file))) } catch { problems.append(error.description) }
                } else {
                    deviceFiles.append(file)
                }
            }
        }
        var catalog: DeviceCatalog?
        if !deviceFiles.isEmpty {
            do { catalog = try DeviceCatalog.load(files: deviceFiles) } catch { problems.append(error.description) }
        }
        for (_, settings) in scenarios {
            guard let fleet = settings.fleet else { continue }
            var fleets = catalog
            if deviceFiles.isEmpty {
                fleets = try? DeviceCatalog.load(directory: settings.devicesDirectory ?? "devices")
            }
            if let fleets, fleets.fleet(named: fleet) == nil, let at = settings.fleetLocation {
                let known = fleets.fleets.map(\.name).joined(separator: ", ")
                problems.append("\(at): unknown fleet \"\(fleet)\" (known: \(known.isEmpty ? "none" : known))")
            }
        }
        let things = catalog.map { $0.fleets.reduce(0) { $0 + $1.count } } ?? 0
        let summary = "ok: \(deviceFiles.count) device file\(deviceFiles.count == 1 ? "" : "s") (\(catalog?.deviceTypes.count ?? 0) device types, \(catalog?.fleets.count ?? 0) fleets, \(things) things), \(scenarios.count) scenario file\(scenarios.count == 1 ? "" : "s")"
        return Result(problems: problems, summary: summary)
    }
}
