import ArgumentParser
import Foundation
import Rules

struct Rules: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate rule files and try rules against a message.",
        subcommands: [Check.self, Test.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate rule files; print each problem as file:line:col: error: message.",
            discussion: "Checks parsing, SQL, actions and their parameters, templates and duplicate names. Exit 0 when all are valid, 1 otherwise.")
        @Argument(help: "Rule files or folders of .yaml/.yml files. Default: rules.")
        var paths: [String] = []

        func run() throws {
            let result = RuleFileLoader(registry: .standard).load(paths: paths.isEmpty ? ["rules"] : paths)
            for d in result.diagnostics { print(d.formatted()) }
            let errors = result.diagnostics.filter { $0.severity == .error }.count
            let summary = "\(result.rules.count) valid rule\(result.rules.count == 1 ? "" : "s"), \(errors) error\(errors == 1 ? "" : "s")."
            FileHandle.standardError.write(Data((summary + "\n").utf8))
            if errors > 0 { throw ExitCode.failure }
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a rule on one message and print the JSON it produces.",
            discussion: """
                Exit 0: the rule fires; its output JSON alone is on stdout.
                Exit 2: it does not fire (topic mismatch or WHERE not true); the reason is on stderr.
                Exit 1: invalid SQL, payload or rule; the error (with line:col) is on stderr.
                """)
        @Option(help: "The rule's SQL, such as \"SELECT temp FROM 'd/+/t' WHERE temp > 50\".") var sql: String?
        @Option(help: "Test the rule of this name from the rules folder instead of --sql.") var rule: String?
        @Option(help: "The rules folder (or file) --rule is read from.") var rules = "rules"
        @Option(help: "The message's topic.") var topic: String
        @Option(help: "The message's payload, JSON.") var payload: String
        @Option(help: "clientid() and principal() for the message.") var clientId: String?

        func validate() throws {
            if (sql == nil) == (rule == nil) { throw ValidationError("Give either --sql or --rule.") }
        }

        func run() throws {
            var text = sql ?? ""
            if let rule {
                let loaded = RuleFileLoader(registry: .standard).load(paths: [rules])
                guard let definition = loaded.rules.first(where: { $0.name == rule }) else {
                    let problems = loaded.diagnostics.filter { $0.ruleName == rule }
                    let why = problems.isEmpty ? "There is no valid rule named '\(rule)' in \(rules)." : problems.formatted()
                    FileHandle.standardError.write(Data((why + "\n").utf8))
                    throw ExitCode.failure
                }
                text = definition.sql
            }
            let result = RuleTester.run(sql: text, topic: topic, payload: payload, clientId: clientId, principal: clientId)
            if !result.standardOutput.isEmpty || result.exitCode == 0 { print(result.standardOutput) }
            if !result.standardError.isEmpty { FileHandle.standardError.write(Data((result.standardError + "\n").utf8)) }
            if result.exitCode != 0 { throw ExitCode(result.exitCode) }
        }
    }
}
