import MQTT
import Rules

/// `republish`: publishes the rule's output through the gateway's MQTT connection.
/// `publishNoWait` only queues the encoded packet on the link, so it does not block the caller.
struct RepublishRuleAction: RuleAction {
    let action: RepublishAction
    let client: MQTTLink
    /// Routes the message back into the gateway when the broker will not (No Local).
    let feed: OwnMessageFeed
    /// Called when the rendered topic matches the rule's own FROM filter: the republished
    /// message will come back to the same rule. AWS leaves such loops to the user; we count them.
    let onLoop: @Sendable (_ rule: String, _ topic: String) -> Void

    var kind: String { "republish" }

    func perform(payload: [UInt8], context: RuleActionContext) throws(RuleActionFailure) {
        let topic: String
        do {
            topic = try action.topic.render(context.message, environment: context.environment)
        } catch {
            throw RuleActionFailure(
                resource: action.topic.source, message: "The topic template could not be evaluated: \(error.message)")
        }
        do {
            // The link validates the topic; a second check here would run for every action.
            try client.publishNoWait(topic: topic, payload: payload, qos: action.qos == 1 ? .atLeastOnce : .atMostOnce)
        } catch .invalidTopic {
            throw RuleActionFailure(
                resource: topic,
                message: "The topic '\(topic)' rendered from '\(action.topic.source)' is not a valid topic to publish to.")
        } catch {
            throw RuleActionFailure(resource: topic, message: "Publishing failed: \(error).")
        }
        if context.rule.matches(topic: topic) { onLoop(context.ruleName, topic) }
        feed.published(topic: topic, payload: payload, qos: action.qos == 1 ? .atLeastOnce : .atMostOnce)
    }
}
