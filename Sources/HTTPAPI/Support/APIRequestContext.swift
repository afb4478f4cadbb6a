import Hummingbird
import Storage

/// Per-request state: the API key the request authenticated with, once auth has run.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var apiKey: APIKey?

    public init(source: Source) {
        coreContext = .init(source: source)
        apiKey = nil
    }
}
