#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Rules

/// The rule files of the watched folder and, for each file, the rules currently in force:
/// its good rules, plus the last good version of rules the file now breaks.
struct RuleFileSet: Sendable {
    /// What identifies a file's content without reading it: a rewrite changes the mtime
    /// (nanoseconds) or size, an atomic replace changes the inode.
    struct Stamp: Sendable, Equatable {
        var seconds: Int
        var nanoseconds: Int
        var size: Int64
        var inode: UInt64
    }

    struct FileState: Sendable {
        var stamp: Stamp
        /// Rules in force from this file (good now, or kept from an earlier good version).
        var rules: [RuleDefinition]
        /// Names in `rules` that are an earlier version because the file is now broken.
        var stale: Set<String>
        var diagnostics: [RuleDiagnostic]
    }

    let directory: String
    let loader: RuleFileLoader
    private(set) var files: [String: FileState] = [:]

    init(directory: String, loader: RuleFileLoader) {
        self.directory = directory
        self.loader = loader
    }

    /// Re-reads the files that were added, changed or removed; true when any was.
    mutating func refresh() -> Bool {
        let current = Self.scan(directory)
        var changed = false
        for path in files.keys where current[path] == nil {
            files[path] = nil
            changed = true
        }
        for (path, stamp) in current where files[path]?.stamp != stamp {
            load(path, stamp: stamp)
            changed = true
        }
        return changed
    }

    private mutating func load(_ path: String, stamp: Stamp) {
        let result = loader.load(file: path)
        var rules = result.rules
        var stale: Set<String> = []
        if result.diagnostics.hasErrors, let previous = files[path] {
            // The file is broken: rules it no longer yields keep running in their last good version.
            let good = Set(rules.map(\.name))
            for rule in previous.rules where !good.contains(rule.name) {
                rules.append(rule)
                stale.insert(rule.name)
            }
        }
        files[path] = FileState(stamp: stamp, rules: rules, stale: stale, diagnostics: result.diagnostics)
    }

    /// The rules in force across files, names unique (in path order, the first wins), and
    /// every diagnostic, including one per duplicate name naming both files.
    func merged() -> (rules: [RuleDefinition], diagnostics: [RuleDiagnostic]) {
        var seen: [String: SourceLocation] = [:]
        var rules: [RuleDefinition] = []
        var diagnostics: [RuleDiagnostic] = []
        for path in files.keys.sorted() {
            let state = files[path]!
            diagnostics += state.diagnostics
            for rule in state.rules {
                if let first = seen[rule.name] {
                    diagnostics.append(
                        RuleDiagnostic(
                            file: rule.location.file, line: rule.location.line, column: rule.location.column,
                            message:
                                "The rule name '\(rule.name)' is already used at \(first) (in \(first.file) and \(rule.location.file)); rule names must be unique.",
                            ruleName: rule.name))
                    continue
                }
                seen[rule.name] = rule.location
                rules.append(rule)
            }
        }
        return (rules, diagnostics)
    }

    /// True when `name` runs an earlier version because its file is broken.
    func isStale(_ name: String, file: String) -> Bool { files[file]?.stale.contains(name) ?? false }

    /// The `.yaml`/`.yml` files directly in `directory` with their stamps; empty when it does not exist.
    static func scan(_ directory: String) -> [String: Stamp] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [:] }
        var out: [String: Stamp] = [:]
        for n in names where (n.hasSuffix(".yaml") || n.hasSuffix(".yml")) && !n.hasPrefix(".") {
            let path = directory.hasSuffix("/") ? directory + n : directory + "/" + n
            var st = stat()
            guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            out[path] = Stamp(
                seconds: st.st_mtim.tv_sec, nanoseconds: st.st_mtim.tv_nsec, size: Int64(st.st_size), inode: UInt64(st.st_ino))
        }
        return out
    }
}
