// Console harness that drives StreamScope.Core's TelemetryClient for tests/unity/test_unity_mcs.py.
// Build: mcs -langversion:7.2 -out:Harness.exe Harness.cs <Runtime/Core/*.cs>
// Run:   mono Harness.exe <url> <scenario> [--culture de-DE] [--capacity N] [--batch N]
//                          [--timeout SECONDS] [--name PRODUCT] [--token SECRET]
//                          [--connect-timeout MS]
// Scenarios: values, nan, culture (canned: connect, send, flush, stop), interactive (commands
// on stdin, see RunInteractive), hang (a listener that never answers the upgrade), alloc
// (bytes allocated per sample), selftest (no network).
// Every line on stdout is machine-readable: WORD [key=value ...]. Lines are written whole.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using StreamScopeCore;

public static class Harness
{
    static readonly object OutGate = new object();
    static TextWriter _out;

    // Same literals as BETA_VALUES in test_unity_mcs.py.
    static readonly double[] BetaValues =
    {
        0.0, 1e-300, 5e-324, 1.7976931348623157e308, -123.456, 6.02214076e23, 0.1, 0.2,
        0.30000000000000004, 3.5, 1234567.891, -1e-7, 9007199254740992.0, 0.84551240822557006,
        2.5e-8, 100.0, -42.0,
    };

    static readonly double[] CultureValues = { 3.5, -0.25, 1234.5678, 1e-5, 6.02214076e23 };

    static readonly double[] NanValues =
    {
        1.0, double.NaN, 2.0, double.PositiveInfinity, double.NegativeInfinity, 3.0,
    };

    public static int Main(string[] args)
    {
        _out = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false));
        ((StreamWriter)_out).AutoFlush = true;
        int code = Run(args);
        lock (OutGate) _out.Flush();
        // Mono 6.8 sometimes hangs after Main returns (main thread waiting in its exit path with
        // only idle runtime threads left; seen under CPU load). Environment.Exit skips that wait.
        Environment.Exit(code);
        return code;
    }

    static int Run(string[] args)
    {
        if (args.Length < 2)
        {
            Emit("ERROR usage: Harness.exe <url> <scenario> [--culture NAME] [--capacity N] [--batch N] [--timeout S]");
            return 2;
        }
        string url = args[0];
        string scenario = args[1];
        string culture = null;
        string name = "HarnessGame";
        int capacity = 20000;
        int batch = 512;
        double timeoutSeconds = 60;
        string token = null;
        int connectTimeoutMs = 3000;
        for (int i = 2; i + 1 < args.Length; i += 2)
        {
            string key = args[i];
            string value = args[i + 1];
            if (key == "--culture") culture = value;
            else if (key == "--capacity") capacity = int.Parse(value, CultureInfo.InvariantCulture);
            else if (key == "--batch") batch = int.Parse(value, CultureInfo.InvariantCulture);
            else if (key == "--timeout") timeoutSeconds = double.Parse(value, CultureInfo.InvariantCulture);
            else if (key == "--name") name = value;
            else if (key == "--token") token = value;
            else if (key == "--connect-timeout") connectTimeoutMs = int.Parse(value, CultureInfo.InvariantCulture);
            else
            {
                Emit("ERROR unknown option " + key);
                return 2;
            }
        }

        // Never outlive the test: a watchdog ends the process.
        var watchdog = new Timer(OnWatchdog, null, TimeSpan.FromSeconds(timeoutSeconds), TimeSpan.FromMilliseconds(-1));
        GC.KeepAlive(watchdog);

        if (culture != null)
        {
            CultureInfo ci = CultureInfo.GetCultureInfo(culture);
            CultureInfo.DefaultThreadCurrentCulture = ci;
            CultureInfo.DefaultThreadCurrentUICulture = ci;
            Thread.CurrentThread.CurrentCulture = ci;
            Thread.CurrentThread.CurrentUICulture = ci;
        }
        Emit("CULTURE name=" + CultureInfo.CurrentCulture.Name + " sample=" + 3.5.ToString());

        if (scenario == "selftest") return SelfTest();

        var options = new TelemetryClientOptions();
        options.Url = url;
        options.Name = name;
        options.QueueCapacity = capacity;
        options.MaxBatchSamples = batch;
        options.InitialBackoff = TimeSpan.FromSeconds(0.2);
        options.MaxBackoff = TimeSpan.FromSeconds(1);
        options.ConnectTimeout = TimeSpan.FromMilliseconds(connectTimeoutMs);
        options.Token = token;
        options.KeepAliveInterval = TimeSpan.FromSeconds(5);
        var client = new TelemetryClient(options);
        client.StateChanged += OnStateChanged;
        client.StreamingChanged += OnStreamingChanged;
        Emit("READY session=" + client.SessionId);
        client.Start();
        try
        {
            if (scenario == "interactive") return RunInteractive(client);
            if (scenario == "values") return RunCanned(client, ValuesPlan());
            if (scenario == "nan") return RunCanned(client, Plan("gappy", NanValues, 0.1));
            if (scenario == "culture") return RunCanned(client, Plan("culture", CultureValues, 0.5));
            if (scenario == "hang") return RunHang(client);
            if (scenario == "alloc") return RunAlloc(client);
            Emit("ERROR unknown scenario " + scenario);
            return 2;
        }
        finally
        {
            client.Stop(TimeSpan.FromSeconds(5));
        }
    }

    static void OnWatchdog(object state)
    {
        Emit("ERROR watchdog timeout");
        Environment.Exit(3);
    }

    static void OnStateChanged(ClientState state)
    {
        Emit("STATE " + state);
        if (state == ClientState.Connected) Emit("CONNECTED");
        else if (state == ClientState.Connecting || state == ClientState.WaitingToReconnect) Emit("DISCONNECTED state=" + state);
    }

    static void OnStreamingChanged(string metric, bool streaming)
    {
        Emit("STREAMING metric=" + metric + " on=" + (streaming ? "1" : "0"));
    }

    static void Emit(string line)
    {
        lock (OutGate)
        {
            _out.WriteLine(line);
        }
    }

    static string Num(double value)
    {
        return value.ToString("R", CultureInfo.InvariantCulture);
    }

    // ------------------------------------------------------------------ canned scenarios

    struct Planned
    {
        public string Stream;
        public double T;
        public double V;
    }

    static List<Planned> Plan(string stream, double[] values, double dt)
    {
        var plan = new List<Planned>();
        for (int i = 0; i < values.Length; i++)
            plan.Add(new Planned { Stream = stream, T = i * dt, V = values[i] });
        return plan;
    }

    static List<Planned> ValuesPlan()
    {
        // alpha: i/3.0 at t = i*0.01 for 2000 samples, interleaved with beta's special values.
        var plan = new List<Planned>();
        for (int i = 0; i < 2000; i++)
        {
            plan.Add(new Planned { Stream = "alpha", T = i * 0.01, V = i / 3.0 });
            if (i < BetaValues.Length) plan.Add(new Planned { Stream = "beta", T = i * 0.01, V = BetaValues[i] });
        }
        return plan;
    }

    static bool WaitForState(TelemetryClient client, ClientState state, int timeoutMs)
    {
        DateTime deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (client.State != state)
        {
            if (DateTime.UtcNow > deadline) return false;
            Thread.Sleep(5);
        }
        return true;
    }

    static int RunCanned(TelemetryClient client, List<Planned> plan)
    {
        if (!WaitForState(client, ClientState.Connected, 20000))
        {
            Emit("ERROR not connected: " + client.LastError);
            return 4;
        }
        int accepted = 0;
        foreach (Planned p in plan)
            if (client.Enqueue(p.Stream, p.T, p.V)) accepted++;
        Emit("ENQUEUED count=" + plan.Count + " accepted=" + accepted);
        bool flushed = client.Flush(TimeSpan.FromSeconds(20));
        Emit(flushed ? "FLUSHED" : "FLUSH_TIMEOUT");
        bool stopped = client.Stop(TimeSpan.FromSeconds(5));
        EmitTotals(client);
        Emit(stopped ? "DONE" : "ERROR stop timed out");
        return flushed && stopped ? 0 : 5;
    }

    static void EmitTotals(TelemetryClient client)
    {
        Emit("SENT " + client.SamplesSent);
        Emit("DROPPED " + client.SamplesDropped);
        Emit("PAUSED " + client.SamplesPaused);
        Emit("RECONNECTS " + client.ReconnectCount);
    }

    // ------------------------------------------------------------------ hanging listener

    // The listener accepts TCP but never answers the upgrade. Attempts must fail after
    // ConnectTimeout and be retried; Stop(500 ms) during an attempt must return true in time.
    static int RunHang(TelemetryClient client)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (client.FailedConnectAttempts < 2 && clock.ElapsedMilliseconds < 20000) Thread.Sleep(5);
        Emit("ATTEMPTS failed=" + client.FailedConnectAttempts + " ms=" + clock.ElapsedMilliseconds
             + " error=" + (client.LastError ?? "").Replace(' ', '_'));
        // Stop in the middle of the next attempt.
        int failed = client.FailedConnectAttempts;
        while (client.State != ClientState.Connecting && clock.ElapsedMilliseconds < 30000) Thread.Sleep(1);
        Thread.Sleep(100);
        ClientState before = client.State;
        var stopClock = System.Diagnostics.Stopwatch.StartNew();
        bool stopped = client.Stop(TimeSpan.FromMilliseconds(500));
        long stopMs = stopClock.ElapsedMilliseconds;
        Emit("STOP returned=" + (stopped ? "true" : "false") + " ms=" + stopMs + " before=" + before
             + " state=" + client.State + " failed_during_stop=" + (client.FailedConnectAttempts - failed));
        EmitTotals(client);
        Emit("DONE");
        return 0;
    }

    // ------------------------------------------------------------------ allocations

    // Bytes allocated per sample once warm, per thread (GC.GetAllocatedBytesForCurrentThread).
    // Main thread: Enqueue while the client sends. Sender: the frame writer run here on one
    // thread, as the sender task runs it per batch. Not covered: what Mono's
    // ClientWebSocket.SendAsync and the task machinery allocate per frame on pool threads
    // (Mono has no process-wide allocation counter; GC.GetTotalMemory ignores the nursery).
    static int RunAlloc(TelemetryClient client)
    {
        if (!WaitForState(client, ClientState.Connected, 20000))
        {
            Emit("ERROR not connected: " + client.LastError);
            return 4;
        }
        string[] streams = new string[8];
        for (int i = 0; i < streams.Length; i++) streams[i] = "alloc_" + i;
        int perRound = 4096;
        double t = 0;
        // Warm-up: fills the history rings to their capacity, JITs everything.
        for (int round = 0; round < 8; round++)
        {
            for (int i = 0; i < perRound; i++) client.Enqueue(streams[i & 7], t += 0.001, i);
            client.Flush(TimeSpan.FromSeconds(20));
        }

        int mainSamples = 0;
        long mainBytes = 0;
        for (int round = 0; round < 8; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < perRound; i++) client.Enqueue(streams[i & 7], t += 0.001, i);
            mainBytes += GC.GetAllocatedBytesForCurrentThread() - before;
            mainSamples += perRound;
            client.Flush(TimeSpan.FromSeconds(20));
        }
        Emit("ALLOC main_thread_bytes_per_sample=" + Num((double)mainBytes / mainSamples) + " samples=" + mainSamples);

        // The sender's frame writing, run here on one thread over a 512-sample, 8-stream batch.
        var writer = new BinaryFrameWriter();
        var batch = new List<Sample>(512);
        for (int i = 0; i < 512; i++) batch.Add(new Sample(streams[i & 7], i * 0.001, i / 3.0));
        var sent = new bool[512];
        for (int warm = 0; warm < 2; warm++) WriteAll(writer, batch, sent);
        long w0 = GC.GetAllocatedBytesForCurrentThread();
        for (int rep = 0; rep < 200; rep++) WriteAll(writer, batch, sent);
        long writerBytes = GC.GetAllocatedBytesForCurrentThread() - w0;
        Emit("ALLOC sender_encode_bytes_per_sample=" + Num((double)writerBytes / (200 * 512)) + " samples=" + (200 * 512));

        Emit("ALLOC frames=" + client.GetStats().FramesSent + " sent=" + client.SamplesSent);
        bool stopped = client.Stop(TimeSpan.FromSeconds(5));
        EmitTotals(client);
        Emit(stopped ? "DONE" : "ERROR stop timed out");
        return stopped ? 0 : 5;
    }

    static void WriteAll(BinaryFrameWriter writer, List<Sample> batch, bool[] sent)
    {
        Array.Clear(sent, 0, sent.Length);
        for (int first = 0; first < batch.Count; first++)
        {
            if (sent[first]) continue;
            writer.Write(batch, sent, first);
            BinaryFrameWriter.MarkSent(batch, sent, first);
        }
    }

    // ------------------------------------------------------------------ interactive

    // Commands (one per line):
    //   enqueue STREAM START COUNT   samples i in [START, START+COUNT): t = i*0.01, v = i/3.0
    //   value STREAM T V             one sample; T and V in invariant text ("nan", "inf" allowed)
    //   flush MS                     -> FLUSHED | FLUSH_TIMEOUT
    //   wait_state STATE MS          -> STATE_REACHED STATE | STATE_TIMEOUT STATE
    //   wait_streaming METRIC 0|1 MS -> STREAMING_REACHED METRIC | STREAMING_TIMEOUT METRIC
    //   stats                        -> STATS key=value ...
    //   quit (or end of input)       -> SENT/DROPPED/PAUSED/RECONNECTS, DONE
    static int RunInteractive(TelemetryClient client)
    {
        string line;
        while ((line = Console.In.ReadLine()) != null)
        {
            string[] parts = line.Trim().Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0) continue;
            try
            {
                if (parts[0] == "quit") break;
                Execute(client, parts);
            }
            catch (Exception e)
            {
                Emit("ERROR command '" + line + "': " + e.Message);
            }
        }
        bool stopped = client.Stop(TimeSpan.FromSeconds(5));
        EmitTotals(client);
        Emit(stopped ? "DONE" : "ERROR stop timed out");
        return stopped ? 0 : 5;
    }

    static void Execute(TelemetryClient client, string[] p)
    {
        switch (p[0])
        {
            case "enqueue":
            {
                string stream = p[1];
                int start = int.Parse(p[2], CultureInfo.InvariantCulture);
                int count = int.Parse(p[3], CultureInfo.InvariantCulture);
                int accepted = 0;
                for (int i = start; i < start + count; i++)
                    if (client.Enqueue(stream, i * 0.01, i / 3.0)) accepted++;
                Emit("ENQUEUED stream=" + stream + " count=" + count + " accepted=" + accepted);
                break;
            }
            case "value":
            {
                double t = ParseInvariant(p[2]);
                double v = ParseInvariant(p[3]);
                bool ok = client.Enqueue(p[1], t, v);
                Emit("ENQUEUED stream=" + p[1] + " count=1 accepted=" + (ok ? 1 : 0));
                break;
            }
            case "flush":
            {
                int ms = int.Parse(p[1], CultureInfo.InvariantCulture);
                Emit(client.Flush(TimeSpan.FromMilliseconds(ms)) ? "FLUSHED" : "FLUSH_TIMEOUT");
                break;
            }
            case "wait_state":
            {
                var state = (ClientState)Enum.Parse(typeof(ClientState), p[1]);
                int ms = int.Parse(p[2], CultureInfo.InvariantCulture);
                Emit((WaitForState(client, state, ms) ? "STATE_REACHED " : "STATE_TIMEOUT ") + state);
                break;
            }
            case "wait_streaming":
            {
                string metric = p[1];
                bool wanted = p[2] == "1";
                DateTime deadline = DateTime.UtcNow.AddMilliseconds(int.Parse(p[3], CultureInfo.InvariantCulture));
                while (client.IsStreaming(metric) != wanted && DateTime.UtcNow < deadline) Thread.Sleep(5);
                Emit((client.IsStreaming(metric) == wanted ? "STREAMING_REACHED " : "STREAMING_TIMEOUT ") + metric);
                break;
            }
            case "stats":
            {
                TelemetryStats s = client.GetStats();
                Emit("STATS state=" + s.State + " sent=" + s.SamplesSent + " dropped=" + s.SamplesDropped
                     + " paused=" + s.SamplesPaused + " queued=" + s.SamplesQueued
                     + " reconnects=" + s.ReconnectCount + " failed=" + s.FailedConnectAttempts
                     + " accepted=" + client.SamplesAccepted);
                break;
            }
            default:
                Emit("ERROR unknown command " + p[0]);
                break;
        }
    }

    static double ParseInvariant(string text)
    {
        string lower = text.ToLowerInvariant();
        if (lower == "nan") return double.NaN;
        if (lower == "inf") return double.PositiveInfinity;
        if (lower == "-inf") return double.NegativeInfinity;
        return double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    // ------------------------------------------------------------------ selftest (no network)

    static int _failures;

    static void Check(bool ok, string what)
    {
        if (!ok)
        {
            _failures++;
            Emit("SELFTEST_FAIL " + what);
        }
    }

    static int SelfTest()
    {
        // Backoff: 0.5 s doubling to a 5 s cap, +-20 % jitter, never above the cap.
        for (int attempt = 0; attempt < 12; attempt++)
        {
            double nominal = Math.Min(5.0, 0.5 * Math.Pow(2, attempt));
            double lo = Backoff.Compute(attempt, 0.5, 5.0, 0.2, 0.0).TotalSeconds;
            double hi = Backoff.Compute(attempt, 0.5, 5.0, 0.2, 0.999999).TotalSeconds;
            Check(Math.Abs(lo - nominal * 0.8) < 1e-3, "backoff low " + attempt + " " + Num(lo));
            Check(hi <= 5.0 + 1e-9 && hi >= Math.Min(5.0, nominal * 1.2) - 1e-3, "backoff high " + attempt + " " + Num(hi));
        }

        // JSON numbers: invariant, round-trip, NaN/Infinity -> null.
        Check(JsonWriter.FormatNumber(3.5) == "3.5", "3.5 -> " + JsonWriter.FormatNumber(3.5));
        Check(JsonWriter.FormatNumber(double.NaN) == "null", "NaN -> null");
        Check(JsonWriter.FormatNumber(double.PositiveInfinity) == "null", "+Inf -> null");
        Check(JsonWriter.FormatNumber(double.NegativeInfinity) == "null", "-Inf -> null");
        var rng = new Random(12345);
        int bad = 0;
        var bytes = new byte[8];
        for (int i = 0; i < 200000; i++)
        {
            rng.NextBytes(bytes);
            double d = BitConverter.ToDouble(bytes, 0);
            if (double.IsNaN(d) || double.IsInfinity(d)) continue;
            string text = JsonWriter.FormatNumber(d);
            if (double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture) != d || text.Contains(",")) bad++;
        }
        Check(bad == 0, "round trip failures " + bad);
        foreach (double d in BetaValues)
            Check(double.Parse(JsonWriter.FormatNumber(d), CultureInfo.InvariantCulture) == d, "beta " + Num(d));

        // JSON strings.
        var sb = new StringBuilder();
        JsonWriter.AppendString(sb, "a\"b\\c\n\u0001é");
        Check(sb.ToString() == "\"a\\\"b\\\\c\\n\\u0001é\"", "escape " + sb);

        // JSON reader.
        var obj = JsonReader.ParseObject("{\"type\":\"stop_streaming\", \"metric\":\"fps\\u00e9\\ud83d\\ude00\",\"n\":[1,-2.5e3,true,null,{}],\"s\":\"\\\"\\/\"}");
        Check(obj != null && (string)obj["type"] == "stop_streaming", "reader type");
        Check(obj != null && (string)obj["metric"] == "fps\u00e9\U0001F600", "reader escapes");
        var list = obj != null ? obj["n"] as List<object> : null;
        Check(list != null && list.Count == 5 && (double)list[1] == -2500.0 && (bool)list[2] && list[3] == null, "reader array");
        Check(obj != null && (string)obj["s"] == "\"/", "reader quote/slash");
        string[] invalid = { "{", "{\"a\":}", "[1,]", "{\"a\":1}x", "\"abc", "{\"a\" 1}", "tru", "01x" };
        foreach (string text in invalid)
        {
            bool threw = false;
            try { JsonReader.Parse(text); }
            catch (FormatException) { threw = true; }
            Check(threw, "reader accepts invalid " + text);
        }

        // Bounded queue drops the oldest and counts the drops.
        var queue = new SampleQueue(3);
        for (int i = 0; i < 5; i++) queue.Enqueue(new Sample("q", i, i));
        Sample s;
        var kept = new List<double>();
        while (queue.TryDequeue(out s)) kept.Add(s.Value);
        Check(queue.Dropped == 2 && kept.Count == 3 && kept[0] == 2 && kept[2] == 4, "queue drop-oldest");

        // Commands: stop/start_streaming and the historical response, without a socket.
        var client = new TelemetryClient(new TelemetryClientOptions { HistoryCapacityPerMetric = 3 });
        client.HandleAppMessage("{\"type\":\"stop_streaming\",\"metric\":\"hp\"}");
        Check(!client.Enqueue("hp", 1.0, 10.0), "paused metric refused");
        Check(client.Enqueue("xp", 1.0, 10.0), "other metric accepted");
        Check(client.SamplesPaused == 1 && client.SamplesDropped == 0, "paused counted apart from drops");
        client.HandleAppMessage("{\"type\":\"start_streaming\",\"metric\":\"hp\"}");
        Check(client.Enqueue("hp", 2.0, double.NaN), "resumed metric accepted");
        client.Enqueue("hp", 3.0, 3.5);
        client.Enqueue("hp", 4.0, 4.5);
        string history = client.BuildHistoryResponse("hp");
        Check(history == "{\"type\":\"historical_data_response\",\"metric\":\"hp\",\"t\":[2,3,4],\"v\":[null,3.5,4.5]}", "history " + history);
        Check(client.BuildHistoryResponse("none") == "{\"type\":\"historical_data_response\",\"metric\":\"none\",\"t\":[],\"v\":[]}", "empty history");
        client.HandleAppMessage("not json");
        client.HandleAppMessage("[1,2]");
        Check(!client.Enqueue("", 1, 1) && !client.Enqueue("x", double.NaN, 1), "invalid refused");
        client.Dispose();

        // Binary frames: the exact bits, one stream per frame, infinities as NaN.
        var frameSamples = new List<Sample> { new Sample("a", 0.5, 1.25), new Sample("bé", 1, double.PositiveInfinity), new Sample("a", 0.75, 5e-324) };
        var frameSent = new bool[3];
        var frameWriter = new BinaryFrameWriter();
        int frameSize = frameWriter.Write(frameSamples, frameSent, 0);
        byte[] fb = frameWriter.Buffer;
        Check(frameSize == 10 + 1 + 32 && fb[0] == (byte)'S' && fb[3] == (byte)'1' && fb[4] == 1 && fb[6] == (byte)'a' && fb[7] == 2,
            "binary header");
        Check(BitConverter.ToDouble(fb, 11) == 0.5 && BitConverter.ToDouble(fb, 19) == 0.75
              && BitConverter.ToDouble(fb, 27) == 1.25 && BitConverter.ToDouble(fb, 35) == 5e-324, "binary values");
        Check(BinaryFrameWriter.MarkSent(frameSamples, frameSent, 0) == 2 && frameSent[0] && !frameSent[1] && frameSent[2], "binary mark");
        frameSize = frameWriter.Write(frameSamples, frameSent, 1);
        Check(frameSize == 10 + 3 + 16 && fb[4] == 3 && double.IsNaN(BitConverter.ToDouble(fb, 10 + 3 + 8)), "binary infinity -> NaN");

        // Events are posted to the SynchronizationContext current at Start (Unity's main thread).
        var context = new RecordingContext();
        SynchronizationContext.SetSynchronizationContext(context);
        var events = new TelemetryClient(new TelemetryClientOptions { Url = "ws://127.0.0.1:9" });
        int eventThread = -1;
        events.StateChanged += delegate { eventThread = Thread.CurrentThread.ManagedThreadId; };
        events.Start();
        SynchronizationContext.SetSynchronizationContext(null);
        var eventClock = System.Diagnostics.Stopwatch.StartNew();
        while (context.Posted == 0 && eventClock.ElapsedMilliseconds < 5000) Thread.Sleep(2);
        Check(context.Posted > 0 && eventThread == -1, "events posted, not run on the background thread");
        context.RunAll();
        Check(eventThread == Thread.CurrentThread.ManagedThreadId, "event ran on the context's thread");
        events.Stop(TimeSpan.FromSeconds(2));

        Emit(_failures == 0 ? "SELFTEST ok" : "SELFTEST failures=" + _failures);
        return _failures == 0 ? 0 : 1;
    }

    /// <summary>A SynchronizationContext that queues posts until RunAll (stands in for Unity's).</summary>
    sealed class RecordingContext : SynchronizationContext
    {
        readonly Queue<KeyValuePair<SendOrPostCallback, object>> _posts = new Queue<KeyValuePair<SendOrPostCallback, object>>();
        public int Posted;

        public override void Post(SendOrPostCallback d, object state)
        {
            lock (_posts) _posts.Enqueue(new KeyValuePair<SendOrPostCallback, object>(d, state));
            Interlocked.Increment(ref Posted);
        }

        public void RunAll()
        {
            while (true)
            {
                KeyValuePair<SendOrPostCallback, object> post;
                lock (_posts)
                {
                    if (_posts.Count == 0) return;
                    post = _posts.Dequeue();
                }
                post.Key(post.Value);
            }
        }
    }
}
