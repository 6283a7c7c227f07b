using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using StreamScopeApi;
using StreamScopeCore;
using UnityEngine;
using Debug = UnityEngine.Debug;

namespace StreamScopeUnity
{
    /// <summary>
    /// The StreamScope runtime behind the StreamScope facade: one session (a TelemetryClient)
    /// per play session, registered metrics, and the per-frame sampling of the StreamScopeClient
    /// component. Compiled only where the facade's calls are (editor, development builds,
    /// STREAMSCOPE_ENABLED): code using this class directly must be inside the same #if.
    /// </summary>
    public static class StreamScopeRuntime
    {
        sealed class Registration
        {
            public string Name;
            public Func<double> AsDouble;
            public Func<float> AsFloat;
            public Func<int> AsInt;
            public Func<bool> AsBool;
            public Func<Vector3> AsVector;
            public Transform Player;  // TrackPlayer: x or z of this transform
            public bool PlayerZ;
            public bool Warned;

            public bool IsVector { get { return AsVector != null; } }

            public double Read()
            {
                if (AsDouble != null) return AsDouble();
                if (AsFloat != null) return AsFloat();
                if (AsInt != null) return AsInt();
                if (AsBool != null) return AsBool() ? 1.0 : 0.0;
                if (Player != null) return PlayerZ ? Player.position.z : Player.position.x;
                return double.NaN;  // a tracked player that was destroyed
            }
        }

        static readonly object s_gate = new object();
        static readonly Dictionary<string, string[]> s_axisNames = new Dictionary<string, string[]>(StringComparer.Ordinal);
        static readonly Stopwatch s_clock = new Stopwatch();
        static readonly Backend s_backend = new Backend();
        static Registration[] s_registrations = new Registration[0];  // copy-on-write
        static TelemetryClient s_client;
        static StreamScopeSettings s_settings;
        static double s_playStart;
        static int s_mainThreadId = -1;
        static int s_sessionsStarted;
        static StreamScopeClient s_host;
        static BuiltInMetrics s_metrics;
        static TelemetryClient s_metricsClient;  // the session s_metrics was made for
        static double s_nextSample;

        /// <summary>
        /// Supplies the settings Begin() and auto-start use. The StreamScope editor code sets it to
        /// the project's settings; in players it is null and the settings asset the build carries
        /// (StreamScopeRuntimeSettings.Current) is used. Not reset between play sessions.
        /// </summary>
        public static Func<StreamScopeSettings> SettingsProvider { get; set; }

        /// <summary>True while a client session is running (Begin called, Shutdown not yet).</summary>
        public static bool IsRunning { get { return s_client != null; } }

        /// <summary>The running core client (null when stopped), for stats and advanced use.</summary>
        public static TelemetryClient Client { get { return s_client; } }

        /// <summary>The settings of the running session (a copy), or null.</summary>
        public static StreamScopeSettings ActiveSettings { get { return s_settings; } }

        /// <summary>Sessions started since the domain was loaded.</summary>
        public static int SessionsStarted { get { return s_sessionsStarted; } }

        /// <summary>Metrics registered now (the play-session reset empties them).</summary>
        public static int RegisteredCount { get { return s_registrations.Length; } }

        /// <summary>The StreamScopeClient component doing the sampling, or null.</summary>
        public static StreamScopeClient Host { get { return s_host; } }

        /// <summary>Seconds since this play session started.</summary>
        public static double Now
        {
            get
            {
                if (Thread.CurrentThread.ManagedThreadId == s_mainThreadId)
                    return Time.realtimeSinceStartupAsDouble - s_playStart;
                return s_clock.Elapsed.TotalSeconds;  // started at the same moment as s_playStart
            }
        }

        /// <summary>The running session's counters (State Stopped when none runs).</summary>
        public static TelemetryStats GetStats()
        {
            TelemetryClient client = s_client;
            return client != null ? client.GetStats() : new TelemetryStats { State = ClientState.Stopped };
        }

        /// <summary>Connects the StreamScope facade to this runtime (idempotent).</summary>
        public static void Install()
        {
            StreamScope.Backend = s_backend;
        }

        /// <summary>The settings Begin() uses: the provider's (editor), else the build's asset, else defaults.</summary>
        public static StreamScopeSettings ResolveSettings()
        {
            Func<StreamScopeSettings> provider = SettingsProvider;
            if (provider != null)
            {
                try
                {
                    StreamScopeSettings fromProvider = provider();
                    if (fromProvider != null) return fromProvider;
                }
                catch (Exception e)
                {
                    Debug.LogWarning("StreamScope: could not read settings: " + e.Message);
                }
            }
            StreamScopeRuntimeSettings asset = StreamScopeRuntimeSettings.Current;
            return asset != null ? asset.Settings : new StreamScopeSettings();
        }

        // ------------------------------------------------------------------ registration

        static void Add(Registration registration)
        {
            if (string.IsNullOrEmpty(registration.Name)) throw new ArgumentException("A metric needs a name.");
            lock (s_gate)
            {
                int index = IndexOf(s_registrations, registration.Name);
                if (index >= 0)
                {
                    // Replaced in place: registering again (even every frame) allocates nothing here.
                    Registration r = s_registrations[index];
                    r.AsDouble = registration.AsDouble;
                    r.AsFloat = registration.AsFloat;
                    r.AsInt = registration.AsInt;
                    r.AsBool = registration.AsBool;
                    r.AsVector = registration.AsVector;
                    r.Player = registration.Player;
                    r.PlayerZ = registration.PlayerZ;
                    r.Warned = false;
                    return;
                }
                var next = new Registration[s_registrations.Length + 1];
                Array.Copy(s_registrations, next, s_registrations.Length);
                next[next.Length - 1] = registration;
                s_registrations = next;
            }
        }

        /// <summary>Replaces the getters of an existing registration without allocating; false when unknown.</summary>
        static bool Replace(string name, Func<double> d, Func<float> f, Func<int> i, Func<bool> b, Func<Vector3> v)
        {
            lock (s_gate)
            {
                int index = IndexOf(s_registrations, name);
                if (index < 0) return false;
                Registration r = s_registrations[index];
                r.AsDouble = d;
                r.AsFloat = f;
                r.AsInt = i;
                r.AsBool = b;
                r.AsVector = v;
                r.Player = null;
                r.Warned = false;
                return true;
            }
        }

        static void Remove(string name)
        {
            lock (s_gate)
            {
                int index = IndexOf(s_registrations, name);
                if (index < 0) return;
                var next = new Registration[s_registrations.Length - 1];
                Array.Copy(s_registrations, 0, next, 0, index);
                Array.Copy(s_registrations, index + 1, next, index, next.Length - index);
                s_registrations = next;
            }
        }

        static int IndexOf(Registration[] registrations, string name)
        {
            for (int i = 0; i < registrations.Length; i++)
                if (string.Equals(registrations[i].Name, name, StringComparison.Ordinal)) return i;
            return -1;
        }

        /// <summary>Reads every registered getter once (main thread). Allocates nothing unless a getter throws.</summary>
        static void SampleRegistered(TelemetryClient client, double now)
        {
            Registration[] registrations = s_registrations;
            for (int i = 0; i < registrations.Length; i++)
            {
                Registration r = registrations[i];
                try
                {
                    if (r.IsVector) EnqueueVector(client, r.Name, now, r.AsVector());
                    else client.Enqueue(r.Name, now, r.Read());
                }
                catch (Exception e)
                {
                    if (!r.Warned)
                    {
                        r.Warned = true;
                        Debug.LogWarning("StreamScope: metric '" + r.Name + "' threw " + e.GetType().Name + ": " + e.Message + " (sent as gaps from now on while it throws)");
                    }
                    if (r.IsVector) EnqueueVector(client, r.Name, now, new Vector3(float.NaN, float.NaN, float.NaN));
                    else client.Enqueue(r.Name, now, double.NaN);
                }
            }
        }

        static void EnqueueVector(TelemetryClient client, string name, double now, Vector3 value)
        {
            if (string.IsNullOrEmpty(name)) return;
            string[] axes;
            lock (s_gate)
            {
                if (!s_axisNames.TryGetValue(name, out axes))
                {
                    // Cached so that sending a vector every frame does not allocate three strings.
                    axes = new[] { name + ".x", name + ".y", name + ".z" };
                    if (s_axisNames.Count < 4096) s_axisNames[name] = axes;
                }
            }
            client.Enqueue(axes[0], now, value.x);
            client.Enqueue(axes[1], now, value.y);
            client.Enqueue(axes[2], now, value.z);
        }

        // ------------------------------------------------------------------ lifecycle

        /// <summary>
        /// Starts a session (main thread): connects to settings.address and samples at
        /// settings.sampleRateHz through a StreamScopeClient (one is created when none exists).
        /// Returns false when a session is already running or the address is invalid.
        /// </summary>
        public static bool Begin(StreamScopeSettings settings)
        {
            if (s_client != null) return false;
#if UNITY_WEBGL && !UNITY_EDITOR
            Debug.LogWarning("StreamScope: WebGL players cannot use System.Net.WebSockets; telemetry is off.");
            return false;
#else
            settings = settings != null ? settings.Clone() : new StreamScopeSettings();
            settings.Sanitize();
            var options = new TelemetryClientOptions();
            options.Url = settings.address;
            options.Token = settings.token;
            options.Name = string.IsNullOrEmpty(Application.productName) ? "Unity" : Application.productName;
            options.ClientKind = "unity";
            options.ClientVersion = StreamScope.Version;
            options.QueueCapacity = settings.queueCapacity;
            options.MaxBatchSamples = settings.maxBatchSamples;
            options.HistoryCapacityPerMetric = settings.historySize;
            options.ConnectTimeout = TimeSpan.FromMilliseconds(settings.connectTimeoutMs);
            TelemetryClient client;
            try
            {
                client = new TelemetryClient(options);
            }
            catch (Exception e)
            {
                Debug.LogWarning("StreamScope: not starting: " + e.Message);
                return false;
            }
            s_mainThreadId = Thread.CurrentThread.ManagedThreadId;
            s_playStart = Time.realtimeSinceStartupAsDouble;
            s_clock.Reset();
            s_clock.Start();
            s_settings = settings;
            s_client = client;
            s_sessionsStarted++;
            client.Start();  // on the main thread: its events are posted back here
            Application.quitting -= OnQuitting;
            Application.quitting += OnQuitting;
            EnsureHost(settings);
            return true;
#endif
        }

        /// <summary>
        /// Ends the session: sends what is queued (up to settings.shutdownTimeoutMs), says bye and
        /// closes the socket; a connect under way is abandoned at once. Safe to call more than
        /// once. Called on quit, on leaving play mode and before an assembly reload.
        /// </summary>
        public static void Shutdown()
        {
            TelemetryClient client = s_client;
            StreamScopeSettings settings = s_settings;
            s_client = null;
            s_settings = null;
            if (client == null) return;
            int timeout = settings != null ? settings.shutdownTimeoutMs : 500;
            try
            {
                client.Stop(TimeSpan.FromMilliseconds(timeout));
            }
            catch (Exception e)
            {
                Debug.LogWarning("StreamScope: shutdown: " + e.Message);
            }
        }

        static void OnQuitting()
        {
            Shutdown();
        }

        /// <summary>
        /// Runs before anything else in every play session, also with domain reload disabled
        /// (Enter Play Mode Options), where statics would otherwise survive from the last
        /// session: ends a session left running (it says bye), forgets registrations and the host.
        /// </summary>
        [RuntimeInitializeOnLoadMethod(RuntimeInitializeLoadType.SubsystemRegistration)]
        public static void ResetStatics()
        {
            Install();
            Shutdown();  // normally a no-op: the last session was shut down when play mode ended
            lock (s_gate) s_registrations = new Registration[0];
            s_mainThreadId = -1;
            s_playStart = 0;
            s_host = null;
            DisposeMetrics();
            Application.quitting -= OnQuitting;
        }

        /// <summary>Auto start, gated by the autoStart setting (editor, and builds carrying the settings asset).</summary>
        [RuntimeInitializeOnLoadMethod(RuntimeInitializeLoadType.BeforeSceneLoad)]
        static void AutoStart()
        {
            Install();
            if (s_client != null) return;
            StreamScopeSettings settings = ResolveSettings();
            if (settings != null && settings.autoStart) Begin(settings);
        }

        // ------------------------------------------------------------------ the sampling host

        static void EnsureHost(StreamScopeSettings sessionSettings)
        {
            if (s_host != null) return;
#if STREAMSCOPE_UNITY_2023_1_OR_NEWER
            StreamScopeClient existing = UnityEngine.Object.FindFirstObjectByType<StreamScopeClient>();
#else
            StreamScopeClient existing = UnityEngine.Object.FindObjectOfType<StreamScopeClient>();
#endif
            if (existing != null && existing.isActiveAndEnabled)
            {
                s_host = existing;
                return;
            }
            var go = new GameObject("[StreamScope]");
            go.AddComponent<StreamScopeClient>();  // Awake and OnEnable run inside AddComponent
        }

        static void HostAwake(StreamScopeClient host)
        {
            if (s_host != null && s_host != host)
            {
                Debug.LogWarning("StreamScope: a StreamScopeClient is already sampling; '" + host.name + "' is disabled.");
                host.enabled = false;
                return;
            }
            s_host = host;
            if (host.KeepAcrossScenes && host.transform.parent == null) UnityEngine.Object.DontDestroyOnLoad(host.gameObject);
        }

        static void HostUpdate(StreamScopeClient host)
        {
            if (s_host != host) return;
            TelemetryClient client = s_client;
            if (client == null)
            {
                DisposeMetrics();
                return;
            }
            if (s_metrics == null || s_metricsClient != client)
            {
                DisposeMetrics();  // a new session (Shutdown + Begin) may have other settings
                s_metrics = new BuiltInMetrics(s_settings);
                s_metricsClient = client;
                s_nextSample = 0;
            }
            s_metrics.CountFrame();
            double now = Now;
            if (now < s_nextSample) return;
            StreamScopeSettings active = s_settings;
            double period = 1.0 / Math.Max(1, active != null ? active.sampleRateHz : 10);
            // Keep a steady grid, but never try to catch up after a hitch.
            s_nextSample = now - s_nextSample > period ? now + period : s_nextSample + period;
            s_metrics.Sample(client, now);
            SampleRegistered(client, now);
        }

        /// <summary>
        /// One step of the host's per-frame update, as Update runs it (tests measure its
        /// allocations); sampleNow makes it sample even between sample times.
        /// </summary>
        public static void UpdateForTests(bool sampleNow)
        {
            if (s_host == null) return;
            if (sampleNow) s_nextSample = 0;
            HostUpdate(s_host);
        }

        static void DisposeMetrics()
        {
            s_metricsClient = null;
            if (s_metrics == null) return;
            s_metrics.Dispose();
            s_metrics = null;
        }

        /// <summary>The facade's calls land here.</summary>
        sealed class Backend : IStreamScopeBackend
        {
            public void Register(string name, Func<double> d, Func<float> f, Func<int> i, Func<bool> b, Func<Vector3> v)
            {
                if (Replace(name, d, f, i, b, v)) return;
                Add(new Registration { Name = name, AsDouble = d, AsFloat = f, AsInt = i, AsBool = b, AsVector = v });
            }

            public void Unregister(string name)
            {
                Remove(name);
            }

            public void TrackPlayer(Transform player)
            {
                Add(new Registration { Name = "player_position_x", Player = player });
                Add(new Registration { Name = "player_position_z", Player = player, PlayerZ = true });
            }

            public void Send(string name, double value)
            {
                TelemetryClient client = s_client;
                if (client != null) client.Enqueue(name, Now, value);
            }

            public void SendVector(string name, Vector3 value)
            {
                TelemetryClient client = s_client;
                if (client != null) EnqueueVector(client, name, Now, value);
            }

            public void SendAt(string name, double time, double value)
            {
                TelemetryClient client = s_client;
                if (client != null) client.Enqueue(name, time, value);
            }

            public void Begin()
            {
                if (s_client == null) StreamScopeRuntime.Begin(ResolveSettings());
            }

            public void Shutdown()
            {
                StreamScopeRuntime.Shutdown();
            }

            public void HostAwake(StreamScopeClient host)
            {
                StreamScopeRuntime.HostAwake(host);
            }

            public void HostEnable(StreamScopeClient host)
            {
                if (s_host == host && s_client == null)
                {
                    StreamScopeSettings settings = ResolveSettings();
                    StreamScopeRuntime.Begin(settings);
                }
            }

            public void HostUpdate(StreamScopeClient host)
            {
                StreamScopeRuntime.HostUpdate(host);
            }

            public void HostDisable(StreamScopeClient host)
            {
                if (s_host == host) DisposeMetrics();
            }

            public void HostDestroy(StreamScopeClient host)
            {
                if (s_host != host) return;
                DisposeMetrics();
                s_host = null;
                StreamScopeRuntime.Shutdown();
            }
        }
    }
}
