import IoTCore

/// What an expression is evaluated against: the message, the environment and the document
/// whose members bare names refer to (the payload, or the element in a nested query).
/// It points at the message and environment instead of copying them: copying retains every
/// string, array and closure they hold, which was a quarter of an evaluation's time.
/// A Scope exists only inside `Scope.run`, while both pointees are alive.
struct Scope {
    private let messagePointer: UnsafePointer<RuleMessage>
    private let environmentPointer: UnsafePointer<RuleEnvironment>
    let document: JSONValue?

    var message: RuleMessage { unsafeAddress { messagePointer } }
    var environment: RuleEnvironment { unsafeAddress { environmentPointer } }

    func with(document: JSONValue?) -> Scope {
        Scope(messagePointer: messagePointer, environmentPointer: environmentPointer, document: document)
    }

    private init(messagePointer: UnsafePointer<RuleMessage>, environmentPointer: UnsafePointer<RuleEnvironment>, document: JSONValue?) {
        self.messagePointer = messagePointer
        self.environmentPointer = environmentPointer
        self.document = document
    }

    /// Runs `body` with a scope over the message's payload.
    static func run<R>(
        _ message: RuleMessage, _ environment: RuleEnvironment, _ body: (Scope) throws(RuleEvaluationError) -> R
    ) throws(RuleEvaluationError) -> R {
        try withUnsafePointer(to: message) { (m) throws(RuleEvaluationError) -> R in
            try withUnsafePointer(to: environment) { (e) throws(RuleEvaluationError) -> R in
                try body(Scope(messagePointer: m, environmentPointer: e, document: m.pointee.payload))
            }
        }
    }
}

typealias Evaluator = @Sendable (Scope) throws(RuleEvaluationError) -> JSONValue?
