using System;
using System.Threading;

namespace StreamScopeCore
{
    /// <summary>Settings of one TelemetryClient. Read once when the client is created.</summary>
    public sealed class TelemetryClientOptions
    {
        /// <summary>The app's address, e.g. ws://127.0.0.1:8765.</summary>
        public string Url = "ws://127.0.0.1:8765";

        /// <summary>
        /// Shared secret of an app started with --token: sent as "Authorization: Bearer ..." in the
        /// opening request (null or empty: none). An app listening beyond loopback needs it.
        /// </summary>
        public string Token;

        /// <summary>Session id sent in every hello. One id per play session: reconnects reuse it. Null = new GUID.</summary>
        public string SessionId;

        /// <summary>Product name shown by the app ("MyGame — Play #n").</summary>
        public string Name = "StreamScope client";

        /// <summary>The hello's "client" field.</summary>
        public string ClientKind = "unity";

        /// <summary>The hello's "version" field.</summary>
        public string ClientVersion = TelemetryClient.Version;

        /// <summary>Queued samples kept while the app is slow or away; the oldest are dropped beyond this.</summary>
        public int QueueCapacity = 20000;

        /// <summary>A batch is sent as soon as this many samples are queued.</summary>
        public int MaxBatchSamples = 512;

        /// <summary>Smaller batches are sent at most this often.</summary>
        public TimeSpan FlushInterval = TimeSpan.FromMilliseconds(50);

        /// <summary>Recent values kept per metric for request_historical_data (0 disables).</summary>
        public int HistoryCapacityPerMetric = 2048;

        /// <summary>Upper bound on the number of metrics with a history ring.</summary>
        public int HistoryMaxMetrics = 256;

        /// <summary>First reconnect delay; it doubles per failed attempt up to MaxBackoff.</summary>
        public TimeSpan InitialBackoff = TimeSpan.FromSeconds(0.5);

        /// <summary>Longest reconnect delay.</summary>
        public TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

        /// <summary>Relative jitter applied to each reconnect delay (0.2 = +-20 %).</summary>
        public double BackoffJitter = 0.2;

        /// <summary>
        /// How long one connect attempt (TCP + WebSocket upgrade) may take. The attempt is raced
        /// against this and against Stop, because Mono's ConnectAsync ignores its cancellation
        /// token while a server holds the TCP connection without answering.
        /// </summary>
        public TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

        /// <summary>WebSocket keep-alive (ping) interval.</summary>
        public TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(10);

        /// <summary>
        /// Where StateChanged, StreamingChanged and Log are raised. Null (the default): the
        /// SynchronizationContext current when Start is called, so in Unity they run on the main
        /// thread; when Start is called without one (a console program), they run on the
        /// client's background thread.
        /// </summary>
        public SynchronizationContext EventContext;

        /// <summary>Send {"type":"bye"} before closing on Stop (ends the play session in the app).</summary>
        public bool SendByeOnStop = true;

        /// <summary>Largest app message accepted (bytes); larger ones end the connection.</summary>
        public int MaxIncomingMessageBytes = 1 << 20;

        /// <summary>A shallow copy (the client keeps its own).</summary>
        public TelemetryClientOptions Clone()
        {
            return (TelemetryClientOptions)MemberwiseClone();
        }
    }
}
