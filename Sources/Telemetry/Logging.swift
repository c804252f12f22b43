import Logging
import OTel
import Tracing

extension Telemetry {
    /// Hummingbird's name for the request id in its own request logger; the services' lines use the same key.
    public static let requestIDMetadataKey = "hb.request.id"

    /// Adds the request id and, while a span is current, its `trace_id` and `span_id` to every log line made
    /// within a request, whichever logger makes it.
    public static let requestMetadata = Logger.MetadataProvider {
        var metadata = traceMetadata.get()
        if let id = ServiceContext.current?.requestID { metadata[requestIDMetadataKey] = .string(id) }
        return metadata
    }
    private static let traceMetadata = OTel.makeLoggingMetadataProvider()

    /// Once per process, before the first `Logger` is made (a logger takes the provider when it is made):
    /// swift-log's standard-error handler, with `requestMetadata`. Tests leave it alone.
    public static func bootstrapLogging() {
        LoggingSystem.bootstrap(
            { label, provider in StreamLogHandler.standardError(label: label, metadataProvider: provider) },
            metadataProvider: requestMetadata)
    }
}
