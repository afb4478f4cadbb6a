import IoTCore

/// What an expression is evaluated against: the message, the environment and the document
/// whose members bare names refer to (the payload, or the element in a nested query).
/// It points at the message and environment instead of copying them: copying retains every
/// string, array and closure they hold, which was a quarter of an evaluation's time.
/// A Scope exists only inside `Scope.run`, while the pointees are alive.
struct Scope {
    private let messagePointer: UnsafePointer<RuleMessage>
    private let environmentPointer: UnsafePointer<RuleEnvironment>
    /// Nested-query element visits left for this evaluation, shared by all nested scopes.
    private let workLeft: UnsafeMutablePointer<Int>
    let document: JSONValue?

    /// Nested queries over nested arrays multiply (n elements, k levels: n^k visits), so one
    /// evaluation may visit at most this many elements before it fails.
    static let maxNestedVisits = 1_000_000

    var message: RuleMessage { unsafeAddress { messagePointer } }
    var environment: RuleEnvironment { unsafeAddress { environmentPointer } }

    func with(document: JSONValue?) -> Scope {
        Scope(messagePointer: messagePointer, environmentPointer: environmentPointer, workLeft: workLeft, document: document)
    }

    /// Counts `n` nested-query visits; throws once the evaluation has used its budget.
    func spend(_ n: Int, at p: SourcePosition) throws(RuleEvaluationError) {
        workLeft.pointee -= n
        if workLeft.pointee < 0 {
            throw RuleEvaluationError(
                "The nested queries visit more than \(Scope.maxNestedVisits) elements for one message; the evaluation was stopped.",
                at: p)
        }
    }

    private init(
        messagePointer: UnsafePointer<RuleMessage>, environmentPointer: UnsafePointer<RuleEnvironment>,
        workLeft: UnsafeMutablePointer<Int>, document: JSONValue?
    ) {
        self.messagePointer = messagePointer
        self.environmentPointer = environmentPointer
        self.workLeft = workLeft
        self.document = document
    }

    /// Runs `body` with a scope over the message's payload.
    static func run<R>(
        _ message: RuleMessage, _ environment: RuleEnvironment, _ body: (Scope) throws(RuleEvaluationError) -> R
    ) throws(RuleEvaluationError) -> R {
        var work = maxNestedVisits
        return try withUnsafeMutablePointer(to: &work) { (w) throws(RuleEvaluationError) -> R in
            try withUnsafePointer(to: message) { (m) throws(RuleEvaluationError) -> R in
                try withUnsafePointer(to: environment) { (e) throws(RuleEvaluationError) -> R in
                    try body(Scope(messagePointer: m, environmentPointer: e, workLeft: w, document: m.pointee.payload))
                }
            }
        }
    }
}

typealias Evaluator = @Sendable (Scope) throws(RuleEvaluationError) -> JSONValue?
