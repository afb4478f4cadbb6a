import CoreMetrics

/// One rule's instruments (label `rule`), made once per rule-set build so the hot path
/// never looks metrics up by name.
struct RuleMetrics: Sendable {
    let matched: CoreMetrics.Counter
    let wherePassed: CoreMetrics.Counter
    let actionsFired: CoreMetrics.Counter
    let actionErrors: CoreMetrics.Counter
    let evaluationErrors: CoreMetrics.Counter
    let errorActionFailures: CoreMetrics.Counter
    let evaluation: CoreMetrics.Timer

    init(rule: String, metrics: GatewayMetrics) {
        let f = metrics.factory
        let d = [("rule", rule)]
        matched = Counter(label: "iotgw_rule_messages_matched_total", dimensions: d, factory: f)
        wherePassed = Counter(label: "iotgw_rule_where_passed_total", dimensions: d, factory: f)
        actionsFired = Counter(label: "iotgw_rule_actions_fired_total", dimensions: d, factory: f)
        actionErrors = Counter(label: "iotgw_rule_action_errors_total", dimensions: d, factory: f)
        evaluationErrors = Counter(label: "iotgw_rule_evaluation_errors_total", dimensions: d, factory: f)
        errorActionFailures = Counter(label: "iotgw_rule_error_action_failures_total", dimensions: d, factory: f)
        evaluation = Timer(label: "iotgw_rule_evaluation_seconds", dimensions: d, factory: f)
    }
}
