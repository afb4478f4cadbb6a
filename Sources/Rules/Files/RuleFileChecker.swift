/// What `iotgw rules check` runs: validates rule files and folders.
public enum RuleFileChecker {
    /// Every problem in `paths` (files or folders of `.yaml`/`.yml`), in file order.
    public static func check(paths: [String], registry: ActionRegistry = .standard) -> [RuleDiagnostic] {
        RuleFileLoader(registry: registry).load(paths: paths).diagnostics
    }
}
