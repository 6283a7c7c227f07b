using System;
using System.Diagnostics;
using System.Threading;
using StreamScopeCore;
using StreamScopeUnity;
using UnityEngine;
using Debug = UnityEngine.Debug;

/// <summary>
/// StreamScope's public API (global namespace, so game code needs no using):
/// <code>
/// StreamScope.Register("player_health", () => health);   // sampled at the configured rate
/// StreamScope.Send("damage_taken", 12.5);                  // one value, now
/// StreamScope.SendVector("player_velocity", rb.velocity);  // player_velocity.x/.y/.z
/// </code>
/// Values go into a bounded queue; a background task sends them. Nothing here blocks the game.
/// Times are seconds since the play session started (Time.realtimeSinceStartupAsDouble).
/// Call Register/Send/SendVector from the main thread; SendAt works from any thread.
/// </summary>
public static class StreamScope
{
    public const string Version = TelemetryClient.Version;

    sealed class Registration
    {
        public string Name;
        public Func<double> Scalar;
        public Func<Vector3> Vector;
        public bool Warned;
    }

    static readonly object s_gate = new object();
    static readonly System.Collections.Generic.Dictionary<string, string[]> s_axisNames =
        new System.Collections.Generic.Dictionary<string, string[]>(StringComparer.Ordinal);
    static readonly Stopwatch s_clock = new Stopwatch();
    static Registration[] s_registrations = new Registration[0];  // copy-on-write
    static TelemetryClient s_client;
    static StreamScopeSettings s_settings;
    static double s_playStart;
    static int s_mainThreadId = -1;
    static int s_sessionsStarted;

    /// <summary>
    /// Supplies the settings auto-start uses. The StreamScope editor code sets it to the project's
    /// settings; it stays null in players, so players never auto-start. Not reset between play sessions.
    /// </summary>
    public static Func<StreamScopeSettings> SettingsProvider { get; set; }

    /// <summary>True while a client session is running (Begin called, Shutdown not yet).</summary>
    public static bool IsRunning { get { return s_client != null; } }

    /// <summary>The running core client (null when stopped), for stats and advanced use.</summary>
    public static TelemetryClient Client { get { return s_client; } }

    /// <summary>The settings of the running session (a copy), or null.</summary>
    public static StreamScopeSettings ActiveSettings { get { return s_settings; } }

    /// <summary>Sessions started since the domain was loaded (the editor window keeps its own play count).</summary>
    public static int SessionsStarted { get { return s_sessionsStarted; } }

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

    public static TelemetryStats GetStats()
    {
        TelemetryClient client = s_client;
        return client != null ? client.GetStats() : new TelemetryStats { State = ClientState.Stopped };
    }

    // ------------------------------------------------------------------ registration

    /// <summary>Samples getter() at the configured rate as stream name (replaces an earlier registration).</summary>
    public static void Register(string name, Func<double> getter)
    {
        if (getter == null) throw new ArgumentNullException("getter");
        Add(new Registration { Name = name, Scalar = getter });
    }

    public static void Register(string name, Func<float> getter)
    {
        if (getter == null) throw new ArgumentNullException("getter");
        Add(new Registration { Name = name, Scalar = () => getter() });
    }

    public static void Register(string name, Func<int> getter)
    {
        if (getter == null) throw new ArgumentNullException("getter");
        Add(new Registration { Name = name, Scalar = () => getter() });
    }

    public static void Register(string name, Func<bool> getter)
    {
        if (getter == null) throw new ArgumentNullException("getter");
        Add(new Registration { Name = name, Scalar = () => getter() ? 1.0 : 0.0 });
    }

    /// <summary>Samples a vector as name.x, name.y and name.z.</summary>
    public static void RegisterVector(string name, Func<Vector3> getter)
    {
        if (getter == null) throw new ArgumentNullException("getter");
        Add(new Registration { Name = name, Vector = getter });
    }

    /// <summary>Convenience for the classic player_position_x / player_position_z streams.</summary>
    public static void TrackPlayer(Transform player)
    {
        if (player == null) throw new ArgumentNullException("player");
        Register("player_position_x", () => player != null ? player.position.x : double.NaN);
        Register("player_position_z", () => player != null ? player.position.z : double.NaN);
    }

    public static bool Unregister(string name)
    {
        lock (s_gate)
        {
            int index = IndexOf(s_registrations, name);
            if (index < 0) return false;
            var next = new Registration[s_registrations.Length - 1];
            Array.Copy(s_registrations, 0, next, 0, index);
            Array.Copy(s_registrations, index + 1, next, index, next.Length - index);
            s_registrations = next;
            return true;
        }
    }

    static void Add(Registration registration)
    {
        if (string.IsNullOrEmpty(registration.Name)) throw new ArgumentException("A metric needs a name.");
        lock (s_gate)
        {
            int index = IndexOf(s_registrations, registration.Name);
            Registration[] next;
            if (index >= 0)
            {
                next = (Registration[])s_registrations.Clone();
                next[index] = registration;
            }
            else
            {
                next = new Registration[s_registrations.Length + 1];
                Array.Copy(s_registrations, next, s_registrations.Length);
                next[next.Length - 1] = registration;
            }
            s_registrations = next;
        }
    }

    static int IndexOf(Registration[] registrations, string name)
    {
        for (int i = 0; i < registrations.Length; i++)
            if (string.Equals(registrations[i].Name, name, StringComparison.Ordinal)) return i;
        return -1;
    }

    /// <summary>Reads every registered getter once (main thread; called by StreamScopeClient).</summary>
    internal static void SampleRegistered(TelemetryClient client, double now)
    {
        Registration[] registrations = s_registrations;
        for (int i = 0; i < registrations.Length; i++)
        {
            Registration r = registrations[i];
            try
            {
                if (r.Vector != null)
                {
                    EnqueueVector(client, r.Name, now, r.Vector());
                }
                else
                {
                    client.Enqueue(r.Name, now, r.Scalar());
                }
            }
            catch (Exception e)
            {
                if (!r.Warned)
                {
                    r.Warned = true;
                    Debug.LogWarning("StreamScope: metric '" + r.Name + "' threw " + e.GetType().Name + ": " + e.Message + " (sent as gaps from now on while it throws)");
                }
                if (r.Vector != null)
                {
                    EnqueueVector(client, r.Name, now, new Vector3(float.NaN, float.NaN, float.NaN));
                }
                else
                {
                    client.Enqueue(r.Name, now, double.NaN);
                }
            }
        }
    }

    // ------------------------------------------------------------------ one-off values

    /// <summary>Sends one value of stream name, stamped now. NaN/Infinity arrive as gaps.</summary>
    public static void Send(string name, double value)
    {
        TelemetryClient client = s_client;
        if (client != null) client.Enqueue(name, Now, value);
    }

    public static void Send(string name, bool value)
    {
        Send(name, value ? 1.0 : 0.0);
    }

    /// <summary>Sends name.x, name.y and name.z, stamped now.</summary>
    public static void SendVector(string name, Vector3 value)
    {
        TelemetryClient client = s_client;
        if (client == null || string.IsNullOrEmpty(name)) return;
        EnqueueVector(client, name, Now, value);
    }

    static void EnqueueVector(TelemetryClient client, string name, double now, Vector3 value)
    {
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

    /// <summary>Sends a value with an explicit time (seconds since the play session started). Any thread.</summary>
    public static void SendAt(string name, double time, double value)
    {
        TelemetryClient client = s_client;
        if (client != null) client.Enqueue(name, time, value);
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
        options.Name = string.IsNullOrEmpty(Application.productName) ? "Unity" : Application.productName;
        options.ClientKind = "unity";
        options.ClientVersion = Version;
        options.QueueCapacity = settings.queueCapacity;
        options.MaxBatchSamples = settings.maxBatchSamples;
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
        client.Start();
        Application.quitting -= OnQuitting;
        Application.quitting += OnQuitting;
        StreamScopeClient.EnsureHost(settings);
        return true;
#endif
    }

    /// <summary>
    /// Ends the session: sends what is queued (up to settings.shutdownTimeoutMs), says bye and
    /// closes the socket. Safe to call more than once. Called on quit, on leaving play mode and
    /// before an assembly reload.
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
    /// (Enter Play Mode Options), where statics would otherwise survive from the last session.
    /// </summary>
    [RuntimeInitializeOnLoadMethod(RuntimeInitializeLoadType.SubsystemRegistration)]
    static void ResetStatics()
    {
        Shutdown();  // normally a no-op: the last session was shut down when play mode ended
        lock (s_gate) s_registrations = new Registration[0];
        s_mainThreadId = -1;
        s_playStart = 0;
        Application.quitting -= OnQuitting;
        StreamScopeClient.ResetStatics();
    }

    /// <summary>Zero-setup start, gated by the autoStart setting (editor only: players have no provider).</summary>
    [RuntimeInitializeOnLoadMethod(RuntimeInitializeLoadType.BeforeSceneLoad)]
    static void AutoStart()
    {
        Func<StreamScopeSettings> provider = SettingsProvider;
        if (provider == null || s_client != null) return;
        StreamScopeSettings settings;
        try
        {
            settings = provider();
        }
        catch (Exception e)
        {
            Debug.LogWarning("StreamScope: could not read settings: " + e.Message);
            return;
        }
        if (settings != null && settings.autoStart) Begin(settings);
    }
}
