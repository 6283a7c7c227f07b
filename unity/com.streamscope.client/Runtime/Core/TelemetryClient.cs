using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net.WebSockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace StreamScopeCore
{
    /// <summary>Where a TelemetryClient is in its life.</summary>
    public enum ClientState
    {
        /// <summary>Not started yet, or stopped.</summary>
        Stopped,
        /// <summary>A connect attempt is under way (at most ConnectTimeout).</summary>
        Connecting,
        /// <summary>Connected and said hello; samples are being sent.</summary>
        Connected,
        /// <summary>Waiting out the reconnect delay after a failed or lost connection.</summary>
        WaitingToReconnect,
    }

    /// <summary>A consistent-enough snapshot of a client's counters (each field read atomically).</summary>
    public struct TelemetryStats
    {
        /// <summary>The client's state.</summary>
        public ClientState State;
        /// <summary>State == Connected.</summary>
        public bool Connected;
        /// <summary>Samples whose frame was handed to the socket successfully.</summary>
        public long SamplesSent;
        /// <summary>Samples dropped because the bounded queue was full (oldest first).</summary>
        public long SamplesDropped;
        /// <summary>Samples refused at the source because the app sent stop_streaming for their metric.</summary>
        public long SamplesPaused;
        /// <summary>Samples refused because their time was not finite or their name empty.</summary>
        public long SamplesInvalid;
        /// <summary>Samples waiting in the queue or in the batch being sent.</summary>
        public long SamplesQueued;
        /// <summary>Sample frames sent (one binary frame per stream per batch).</summary>
        public long FramesSent;
        /// <summary>Successful connections after the first one.</summary>
        public int ReconnectCount;
        /// <summary>Connect attempts that failed, timed out or were abandoned.</summary>
        public int FailedConnectAttempts;
        /// <summary>The last connection problem, or null.</summary>
        public string LastError;
        /// <summary>The last error message the app sent, or null.</summary>
        public string LastServerError;
    }

    /// <summary>
    /// Streams samples to a StreamScope app over one WebSocket (protocol v1).
    /// Enqueue is thread-safe, never waits for the network and never allocates; one background
    /// task owns the socket: it connects (a new ClientWebSocket per attempt, each attempt raced
    /// against ConnectTimeout and Stop), says hello, sends queued samples as binary frames
    /// (PROTOCOL.md, one per stream per batch, written into reused buffers), answers the app's
    /// commands, and reconnects with exponential backoff and jitter. Only that task ever sends,
    /// so at most one SendAsync is outstanding. A client runs once: Start, then Stop/Dispose;
    /// make a new one for a new session.
    /// </summary>
    public sealed class TelemetryClient : IDisposable
    {
        /// <summary>The client version sent in hello.</summary>
        public const string Version = "0.1.0";

        /// <summary>Longest stream name the app accepts (characters); longer ones are refused.</summary>
        public const int MaxStreamNameLength = 200;

        readonly TelemetryClientOptions _options;
        readonly Uri _uri;
        readonly SampleQueue _queue;
        readonly MetricHistory _history;
        readonly ConcurrentQueue<string> _outbox = new ConcurrentQueue<string>();
        readonly SemaphoreSlim _wake = new SemaphoreSlim(0, int.MaxValue);
        readonly CancellationTokenSource _softStop = new CancellationTokenSource();
        readonly CancellationTokenSource _hardStop = new CancellationTokenSource();
        readonly object _lifecycle = new object();
        readonly object _pauseGate = new object();
        readonly List<Sample> _pending = new List<Sample>();  // sender task only
        bool[] _pendingSent = new bool[0];  // sender task only: samples of _pending already sent
        readonly BinaryFrameWriter _writer = new BinaryFrameWriter();  // sender task only
        readonly Random _random = new Random();  // sender task only
        SynchronizationContext _events;  // where events are raised (null: background thread)
        Task _abandonedConnect;  // a connect that lost its race and has not ended yet (at most one)

        volatile HashSet<string> _paused = new HashSet<string>(StringComparer.Ordinal);  // copy-on-write
        Task _runTask;
        bool _started;
        int _wakeFlag;
        int _state;
        int _inFlight;
        int _connections;
        int _failedAttempts;
        long _sent;
        long _frames;
        long _pausedCount;
        long _invalidCount;
        volatile string _lastError;
        volatile string _lastServerError;
        volatile bool _flushRequested;

        /// <summary>
        /// Raised whenever State changes, on the options' EventContext (by default the
        /// SynchronizationContext of the thread that called Start: Unity's main thread), or on
        /// the background thread when there is none. Posted: it may arrive after the change.
        /// </summary>
        public event Action<ClientState> StateChanged;

        /// <summary>Raised after start_streaming/stop_streaming (metric, streaming); same thread as StateChanged.</summary>
        public event Action<string, bool> StreamingChanged;

        /// <summary>Optional diagnostics sink; same thread as StateChanged.</summary>
        public Action<string> Log;

        /// <summary>Checks the options (ws:// or wss:// URL); nothing connects before Start.</summary>
        public TelemetryClient(TelemetryClientOptions options)
        {
            if (options == null) throw new ArgumentNullException("options");
            _options = options.Clone();
            _uri = new Uri(_options.Url);
            if (_uri.Scheme != "ws" && _uri.Scheme != "wss")
                throw new ArgumentException("StreamScope address must start with ws:// or wss://: " + _options.Url);
            if (string.IsNullOrEmpty(_options.SessionId)) _options.SessionId = Guid.NewGuid().ToString();
            if (_options.MaxBatchSamples < 1) _options.MaxBatchSamples = 1;
            _queue = new SampleQueue(_options.QueueCapacity);
            _history = new MetricHistory(_options.HistoryCapacityPerMetric, _options.HistoryMaxMetrics);
        }

        /// <summary>The id sent in every hello of this client.</summary>
        public string SessionId { get { return _options.SessionId; } }
        /// <summary>The app's address.</summary>
        public Uri Url { get { return _uri; } }
        /// <summary>The current state (read atomically).</summary>
        public ClientState State { get { return (ClientState)Volatile.Read(ref _state); } }
        /// <summary>State == Connected.</summary>
        public bool IsConnected { get { return State == ClientState.Connected; } }
        /// <summary>Samples handed to the socket successfully.</summary>
        public long SamplesSent { get { return Interlocked.Read(ref _sent); } }
        /// <summary>Samples dropped because the queue was full.</summary>
        public long SamplesDropped { get { return _queue.Dropped; } }
        /// <summary>Samples refused because the app paused their metric.</summary>
        public long SamplesPaused { get { return Interlocked.Read(ref _pausedCount); } }
        /// <summary>Samples refused for an empty or too long name or a non-finite time.</summary>
        public long SamplesInvalid { get { return Interlocked.Read(ref _invalidCount); } }
        /// <summary>Samples ever queued.</summary>
        public long SamplesAccepted { get { return _queue.Accepted; } }
        /// <summary>Samples waiting in the queue.</summary>
        public int QueuedCount { get { return _queue.Count; } }
        /// <summary>Successful connections after the first one.</summary>
        public int ReconnectCount { get { int c = Volatile.Read(ref _connections); return c > 1 ? c - 1 : 0; } }
        /// <summary>Connect attempts that failed, timed out or were abandoned on Stop.</summary>
        public int FailedConnectAttempts { get { return Volatile.Read(ref _failedAttempts); } }
        /// <summary>The last connection problem, or null.</summary>
        public string LastError { get { return _lastError; } }
        /// <summary>The last error message the app sent, or null.</summary>
        public string LastServerError { get { return _lastServerError; } }

        /// <summary>All counters at once.</summary>
        public TelemetryStats GetStats()
        {
            var s = new TelemetryStats();
            s.State = State;
            s.Connected = s.State == ClientState.Connected;
            s.SamplesSent = SamplesSent;
            s.SamplesDropped = SamplesDropped;
            s.SamplesPaused = SamplesPaused;
            s.SamplesInvalid = SamplesInvalid;
            s.SamplesQueued = QueuedCount + Volatile.Read(ref _inFlight);
            s.FramesSent = Interlocked.Read(ref _frames);
            s.ReconnectCount = ReconnectCount;
            s.FailedConnectAttempts = FailedConnectAttempts;
            s.LastError = _lastError;
            s.LastServerError = _lastServerError;
            return s;
        }

        // ------------------------------------------------------------------ producer API

        /// <summary>
        /// Queues one sample; never blocks and never throws for bad input. Returns false when the
        /// sample was refused (metric paused by the app, empty name, non-finite time).
        /// NaN/Infinity values are sent as NaN (a gap). The oldest samples are dropped when full.
        /// Allocates nothing once the metric's history ring is full (see HistoryCapacityPerMetric);
        /// it does not wake the sender, which picks samples up every FlushInterval.
        /// </summary>
        public bool Enqueue(string stream, double time, double value)
        {
            if (string.IsNullOrEmpty(stream) || stream.Length > MaxStreamNameLength
                || double.IsNaN(time) || double.IsInfinity(time))
            {
                Interlocked.Increment(ref _invalidCount);
                return false;
            }
            _history.Record(stream, time, value);
            HashSet<string> paused = _paused;
            if (paused.Count > 0 && paused.Contains(stream))
            {
                Interlocked.Increment(ref _pausedCount);
                return false;
            }
            _queue.Enqueue(new Sample(stream, time, value));
            return true;
        }

        /// <summary>Whether samples of this metric are currently accepted (the app can pause it).</summary>
        public bool IsStreaming(string metric)
        {
            return metric == null || !_paused.Contains(metric);
        }

        /// <summary>Metrics the app has paused with stop_streaming.</summary>
        public string[] PausedMetrics
        {
            get
            {
                HashSet<string> paused = _paused;
                var result = new string[paused.Count];
                paused.CopyTo(result);
                Array.Sort(result, StringComparer.Ordinal);
                return result;
            }
        }

        /// <summary>Pause or resume a metric at the source (what start/stop_streaming do).</summary>
        public void SetStreaming(string metric, bool streaming)
        {
            if (string.IsNullOrEmpty(metric)) return;
            bool changed;
            lock (_pauseGate)
            {
                var next = new HashSet<string>(_paused, StringComparer.Ordinal);
                changed = streaming ? next.Remove(metric) : next.Add(metric);
                if (changed) _paused = next;
            }
            if (changed && StreamingChanged != null)
                Raise(RaiseStreamingChanged, new KeyValuePair<string, bool>(metric, streaming));
        }

        // ------------------------------------------------------------------ lifecycle

        /// <summary>
        /// Starts the background task (once per client). Captures the caller's
        /// SynchronizationContext for events unless the options name one.
        /// </summary>
        public void Start()
        {
            lock (_lifecycle)
            {
                if (_started) throw new InvalidOperationException("A TelemetryClient can be started once.");
                _started = true;
                _events = _options.EventContext ?? SynchronizationContext.Current;
                // Task.Run: the loop never captures the caller's SynchronizationContext (Unity's main thread).
                _runTask = Task.Run(new Func<Task>(RunAsync));
            }
        }

        /// <summary>
        /// Waits until everything queued so far has been sent (or the timeout passes).
        /// Returns false on timeout, e.g. while disconnected. Do not call it every frame.
        /// </summary>
        public bool Flush(TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                if (_queue.Count == 0 && Volatile.Read(ref _inFlight) == 0 && _outbox.IsEmpty) return true;
                if (clock.Elapsed >= timeout) return false;
                _flushRequested = true;
                Wake();
                Thread.Sleep(2);
            }
        }

        /// <summary>
        /// Stops the client: when connected, sends what is queued, says bye and closes the socket
        /// with CloseOutputAsync. A connect attempt under way is abandoned at once (its socket is
        /// disposed). Blocks for at most about timeout + 1 s; safe to call repeatedly.
        /// Returns true when the background task finished.
        /// </summary>
        public bool Stop(TimeSpan timeout)
        {
            Task run;
            lock (_lifecycle)
            {
                run = _runTask;
                _started = true;  // a stopped client cannot be started
            }
            if (run == null) return true;
            // Cancel on the thread pool: cancellation callbacks may run continuations inline,
            // and the caller may be Unity's main thread.
            Task.Run(new Action(CancelSoft));
            Wake();
            bool finished = WaitQuietly(run, timeout);
            if (!finished)
            {
                Task.Run(new Action(CancelHard));
                finished = WaitQuietly(run, TimeSpan.FromSeconds(1));
            }
            return finished;
        }

        /// <summary>Stop with a one-second timeout.</summary>
        public void Dispose()
        {
            Stop(TimeSpan.FromSeconds(1));
        }

        void CancelSoft()
        {
            try { _softStop.Cancel(); } catch (ObjectDisposedException) { }
        }

        void CancelHard()
        {
            try { _hardStop.Cancel(); } catch (ObjectDisposedException) { }
        }

        static bool WaitQuietly(Task task, TimeSpan timeout)
        {
            try { return task.Wait(timeout); }
            catch (AggregateException) { return true; }
        }

        // ------------------------------------------------------------------ background loop

        void Wake()
        {
            if (Interlocked.Exchange(ref _wakeFlag, 1) == 0) _wake.Release();
        }

        void SetState(ClientState state)
        {
            int previous = Interlocked.Exchange(ref _state, (int)state);
            if (previous == (int)state || StateChanged == null) return;
            Raise(RaiseStateChanged, state);
        }

        void Report(string message)
        {
            if (Log == null) return;
            Raise(RaiseLog, message);
        }

        /// <summary>Runs an event on the event context (posted) or right here when there is none.</summary>
        void Raise(SendOrPostCallback callback, object argument)
        {
            SynchronizationContext context = _events;
            if (context == null)
            {
                callback(argument);
                return;
            }
            try { context.Post(callback, argument); }
            catch (Exception) { callback(argument); }  // a context that is shutting down
        }

        void RaiseStateChanged(object state)
        {
            var handler = StateChanged;
            if (handler == null) return;
            try { handler((ClientState)state); }
            catch (Exception e) { Report("StateChanged handler: " + e.Message); }
        }

        void RaiseStreamingChanged(object change)
        {
            var handler = StreamingChanged;
            if (handler == null) return;
            var pair = (KeyValuePair<string, bool>)change;
            try { handler(pair.Key, pair.Value); }
            catch (Exception e) { Report("StreamingChanged handler: " + e.Message); }
        }

        void RaiseLog(object message)
        {
            var log = Log;
            if (log == null) return;
            try { log((string)message); }
            catch (Exception) { }
        }

        void RecordError(string what, Exception e)
        {
            string text = what + ": " + Describe(e);
            _lastError = text;
            Report(text);
        }

        static string Describe(Exception e)
        {
            var agg = e as AggregateException;
            if (agg != null && agg.InnerExceptions.Count == 1) e = agg.InnerExceptions[0];
            string text = e.GetType().Name + ": " + e.Message;
            if (e.InnerException != null) text += " (" + e.InnerException.Message + ")";
            return text;
        }

        async Task RunAsync()
        {
            int attempt = 0;
            try
            {
                while (!_softStop.IsCancellationRequested)
                {
                    SetState(ClientState.Connecting);
                    bool reached = await RunConnectionAsync().ConfigureAwait(false);
                    if (reached) attempt = 0;
                    if (_softStop.IsCancellationRequested) break;
                    SetState(ClientState.WaitingToReconnect);
                    TimeSpan delay = Backoff.Compute(attempt, _options.InitialBackoff.TotalSeconds,
                        _options.MaxBackoff.TotalSeconds, _options.BackoffJitter, _random.NextDouble());
                    attempt++;
                    try
                    {
                        await Task.Delay(delay, _softStop.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            }
            catch (Exception e)
            {
                RecordError("client loop", e);
            }
            finally
            {
                SetState(ClientState.Stopped);
            }
        }

        /// <summary>One connection attempt and, if it opens, its whole life. True when the hello went out.</summary>
        async Task<bool> RunConnectionAsync()
        {
            // At most one abandoned socket at a time: while the last abandoned connect has not
            // ended (Mono keeps it waiting as long as the server holds the TCP connection), this
            // attempt waits for it, not for a new socket, and fails the same way after ConnectTimeout.
            Task abandoned = _abandonedConnect;
            if (abandoned != null && !abandoned.IsCompleted)
            {
                Task wait = DelayUntilStop(ConnectTimeoutMs());
                if (await Task.WhenAny(abandoned, wait).ConfigureAwait(false) != abandoned)
                {
                    Interlocked.Increment(ref _failedAttempts);
                    if (!_softStop.IsCancellationRequested)
                        RecordError("connect " + _uri, new TimeoutException("no answer to the WebSocket upgrade within "
                            + ConnectTimeoutText() + " s (the previous attempt is still waiting; no new socket opened)"));
                    return false;
                }
            }
            _abandonedConnect = null;

            var ws = new ClientWebSocket();  // a failed instance cannot reconnect: one per attempt
            var connection = CancellationTokenSource.CreateLinkedTokenSource(_hardStop.Token);
            bool opened = false;
            bool helloSent = false;
            bool disposed = false;
            Task receive = null;
            try
            {
                ws.Options.KeepAliveInterval = _options.KeepAliveInterval;
                if (!string.IsNullOrEmpty(_options.Token))
                    ws.Options.SetRequestHeader("Authorization", "Bearer " + _options.Token);
                using (var connect = CancellationTokenSource.CreateLinkedTokenSource(_softStop.Token, _hardStop.Token))
                {
                    connect.CancelAfter(_options.ConnectTimeout);
                    // Mono's ConnectAsync ignores the token while the server holds the TCP
                    // connection without answering the upgrade: race it instead.
                    Task attempt = ws.ConnectAsync(_uri, connect.Token);
                    Task timer = DelayUntilStop(ConnectTimeoutMs());
                    if (await Task.WhenAny(attempt, timer).ConfigureAwait(false) != attempt)
                    {
                        disposed = true;
                        Abandon(ws, attempt);
                        if (_softStop.IsCancellationRequested)
                            throw new OperationCanceledException("connect abandoned: stopping");
                        throw new TimeoutException("no answer to the WebSocket upgrade within " + ConnectTimeoutText() + " s");
                    }
                    await attempt.ConfigureAwait(false);  // throws if it failed
                }
                opened = true;
                await SendTextAsync(ws, BuildHello(), connection.Token).ConfigureAwait(false);
                helloSent = true;
                Interlocked.Increment(ref _connections);
                SetState(ClientState.Connected);
                receive = ReceiveLoopAsync(ws, connection);
                await SendLoopAsync(ws, receive, connection.Token).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                if (!opened)
                {
                    Interlocked.Increment(ref _failedAttempts);
                    if (!_softStop.IsCancellationRequested) RecordError("connect " + _uri, e);
                }
                else if (!_hardStop.IsCancellationRequested)
                {
                    RecordError("connection", e);
                }
            }

            if (opened)
            {
                SetState(ClientState.Connecting);
                await CloseAsync(ws, receive).ConfigureAwait(false);
            }
            try { connection.Cancel(); } catch (ObjectDisposedException) { }
            if (receive != null)
            {
                await Task.WhenAny(receive, DelayUnlessHardStop(1000)).ConfigureAwait(false);
            }
            if (!disposed) ws.Dispose();  // never CloseAsync: a never-connected socket throws on Mono
            connection.Dispose();
            return helloSent;
        }

        int ConnectTimeoutMs()
        {
            return (int)Math.Max(1.0, Math.Min(int.MaxValue, _options.ConnectTimeout.TotalMilliseconds));
        }

        string ConnectTimeoutText()
        {
            return _options.ConnectTimeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        /// <summary>
        /// Gives up on a connect that lost its race: dispose the socket now, and again when the
        /// attempt ends (a late success would otherwise leave an open connection), observing its
        /// exception so it is never reported as unobserved.
        /// </summary>
        void Abandon(ClientWebSocket ws, Task attempt)
        {
            try { ws.Abort(); } catch (Exception) { }
            try { ws.Dispose(); } catch (Exception) { }
            _abandonedConnect = attempt.ContinueWith(
                DisposeAbandoned, ws, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        static void DisposeAbandoned(Task attempt, object ws)
        {
            if (attempt.IsFaulted) GC.KeepAlive(attempt.Exception);
            try { ((ClientWebSocket)ws).Dispose(); } catch (Exception) { }
        }

        /// <summary>A delay that ends early (without throwing) when Stop is called.</summary>
        Task DelayUntilStop(int milliseconds)
        {
            return Task.Delay(milliseconds, _softStop.Token).ContinueWith(
                IgnoreOutcome, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        async Task CloseAsync(ClientWebSocket ws, Task receive)
        {
            WebSocketState state = ws.State;
            if (state != WebSocketState.Open && state != WebSocketState.CloseReceived) return;
            try
            {
                using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_hardStop.Token))
                {
                    timeout.CancelAfter(TimeSpan.FromSeconds(1));
                    await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token).ConfigureAwait(false);
                }
                // Give the app a moment to answer our close so the TCP connection ends cleanly.
                if (receive != null && state == WebSocketState.Open)
                    await Task.WhenAny(receive, DelayUnlessHardStop(500)).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Report("close: " + Describe(e));
            }
        }

        async Task SendLoopAsync(ClientWebSocket ws, Task receive, CancellationToken token)
        {
            var flushClock = Stopwatch.StartNew();
            int interval = (int)Math.Max(1.0, _options.FlushInterval.TotalMilliseconds);
            while (true)
            {
                bool stopping = _softStop.IsCancellationRequested;
                bool flushDue = stopping || _flushRequested || flushClock.ElapsedMilliseconds >= interval;
                if (flushDue)
                {
                    _flushRequested = false;
                    flushClock.Reset();
                    flushClock.Start();
                }
                await DrainOutboxAsync(ws, token).ConfigureAwait(false);
                while (true)
                {
                    if (_pending.Count == 0 && (_queue.Count >= _options.MaxBatchSamples || (flushDue && _queue.Count > 0)))
                        FillPending();
                    if (_pending.Count == 0) break;
                    await SendBatchAsync(ws, token).ConfigureAwait(false);
                    if (!_outbox.IsEmpty) await DrainOutboxAsync(ws, token).ConfigureAwait(false);
                }
                if (stopping)
                {
                    if (_options.SendByeOnStop) await SendTextAsync(ws, "{\"type\":\"bye\"}", token).ConfigureAwait(false);
                    return;
                }
                if (receive.IsCompleted || ws.State != WebSocketState.Open) return;
                long wait = interval - flushClock.ElapsedMilliseconds;
                if (wait < 1) wait = 1;
                await _wake.WaitAsync((int)wait, token).ConfigureAwait(false);
                Interlocked.Exchange(ref _wakeFlag, 0);
            }
        }

        void FillPending()
        {
            if (_pendingSent.Length < _options.MaxBatchSamples) _pendingSent = new bool[_options.MaxBatchSamples];
            Sample sample;
            while (_pending.Count < _options.MaxBatchSamples && _queue.TryDequeue(out sample))
                _pending.Add(sample);
            Volatile.Write(ref _inFlight, _pending.Count);
        }

        async Task SendBatchAsync(ClientWebSocket ws, CancellationToken token)
        {
            // One binary frame per stream of the batch. A stream's samples are marked sent only
            // after its frame went out: on failure the rest of _pending is sent first after the
            // next connect, and a frame that failed mid-send never reached the app's parser, so
            // nothing is lost or doubled.
            int count = _pending.Count;
            if (_pendingSent.Length < count) _pendingSent = new bool[Math.Max(count, _options.MaxBatchSamples)];
            for (int first = 0; first < count; first++)
            {
                if (_pendingSent[first]) continue;
                int size = _writer.Write(_pending, _pendingSent, first);
                await ws.SendAsync(new ArraySegment<byte>(_writer.Buffer, 0, size), WebSocketMessageType.Binary, true, token).ConfigureAwait(false);
                int sent = BinaryFrameWriter.MarkSent(_pending, _pendingSent, first);
                Interlocked.Add(ref _sent, sent);
                Interlocked.Increment(ref _frames);
                Volatile.Write(ref _inFlight, Volatile.Read(ref _inFlight) - sent);
            }
            _pending.Clear();
            Array.Clear(_pendingSent, 0, count);
            Volatile.Write(ref _inFlight, 0);
        }

        async Task DrainOutboxAsync(ClientWebSocket ws, CancellationToken token)
        {
            string message;
            while (TryTakeOutbox(out message))
                await SendTextAsync(ws, message, token).ConfigureAwait(false);
        }

        bool TryTakeOutbox(out string message)
        {
            return _outbox.TryDequeue(out message);
        }

        /// <summary>A delay that ends early (without throwing) when Stop gives up waiting.</summary>
        Task DelayUnlessHardStop(int milliseconds)
        {
            return Task.Delay(milliseconds, _hardStop.Token).ContinueWith(
                IgnoreOutcome, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        static void IgnoreOutcome(Task task)
        {
        }

        static Task SendTextAsync(ClientWebSocket ws, string text, CancellationToken token)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(text);
            return ws.SendAsync(new ArraySegment<byte>(bytes), WebSocketMessageType.Text, true, token);
        }

        async Task ReceiveLoopAsync(ClientWebSocket ws, CancellationTokenSource connection)
        {
            var buffer = new byte[8192];
            var message = new MemoryStream();
            try
            {
                while (true)
                {
                    WebSocketReceiveResult result = await ws.ReceiveAsync(new ArraySegment<byte>(buffer), connection.Token).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close) break;  // the sender answers with CloseOutputAsync
                    message.Write(buffer, 0, result.Count);
                    if (message.Length > _options.MaxIncomingMessageBytes)
                        throw new InvalidDataException("app message larger than " + _options.MaxIncomingMessageBytes + " bytes");
                    if (!result.EndOfMessage) continue;
                    string text = Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
                    message.SetLength(0);
                    HandleAppMessage(text);
                }
            }
            catch (Exception e)
            {
                if (!connection.IsCancellationRequested)
                {
                    RecordError("receive", e);
                    try { connection.Cancel(); } catch (ObjectDisposedException) { }
                }
            }
            finally
            {
                Wake();
            }
        }

        // ------------------------------------------------------------------ app → client

        /// <summary>Applies one message from the app. Public so it can be tested without a socket.</summary>
        public void HandleAppMessage(string text)
        {
            Dictionary<string, object> msg;
            try
            {
                msg = JsonReader.ParseObject(text);
            }
            catch (FormatException e)
            {
                Report("ignored app message: " + e.Message);
                return;
            }
            if (msg == null) return;
            string type = GetString(msg, "type");
            string metric = GetString(msg, "metric");
            if (metric == null) metric = GetString(msg, "stream");
            if (type == "stop_streaming")
            {
                SetStreaming(metric, false);
            }
            else if (type == "start_streaming")
            {
                SetStreaming(metric, true);
            }
            else if (type == "request_historical_data")
            {
                if (metric == null) return;
                _outbox.Enqueue(BuildHistoryResponse(metric));
                Wake();
            }
            else if (type == "error")
            {
                string error = GetString(msg, "message");
                _lastServerError = error;
                Report("app reported: " + error);
            }
        }

        static string GetString(Dictionary<string, object> msg, string key)
        {
            object value;
            return msg.TryGetValue(key, out value) ? value as string : null;
        }

        // ------------------------------------------------------------------ frames

        string BuildHello()
        {
            var sb = new StringBuilder(160);
            sb.Append("{\"type\":\"hello\",\"session\":");
            JsonWriter.AppendString(sb, _options.SessionId);
            sb.Append(",\"name\":");
            JsonWriter.AppendString(sb, _options.Name);
            sb.Append(",\"client\":");
            JsonWriter.AppendString(sb, _options.ClientKind);
            sb.Append(",\"version\":");
            JsonWriter.AppendString(sb, _options.ClientVersion);
            sb.Append('}');
            return sb.ToString();
        }

        /// <summary>{"type":"historical_data_response","metric":..,"t":[..],"v":[..]} from the local ring.</summary>
        public string BuildHistoryResponse(string metric)
        {
            double[] times;
            double[] values;
            _history.Snapshot(metric, out times, out values);
            var sb = new StringBuilder(64 + times.Length * 40);
            sb.Append("{\"type\":\"historical_data_response\",\"metric\":");
            JsonWriter.AppendString(sb, metric);
            sb.Append(",\"t\":[");
            for (int i = 0; i < times.Length; i++)
            {
                if (i > 0) sb.Append(',');
                JsonWriter.AppendNumber(sb, times[i]);
            }
            sb.Append("],\"v\":[");
            for (int i = 0; i < values.Length; i++)
            {
                if (i > 0) sb.Append(',');
                JsonWriter.AppendNumber(sb, values[i]);
            }
            sb.Append("]}");
            return sb.ToString();
        }
    }
}
