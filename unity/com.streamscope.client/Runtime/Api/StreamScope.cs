using System;
using System.ComponentModel;
using System.Diagnostics;
using StreamScopeApi;
using UnityEngine;

/// <summary>
/// StreamScope's public API (global namespace, so game code needs no using):
/// <code>
/// StreamScope.Register("player_health", () => health);   // sampled at the configured rate
/// StreamScope.Send("damage_taken", 12.5);                  // one value, now
/// StreamScope.SendVector("player_velocity", velocity);     // player_velocity.x/.y/.z
/// </code>
/// A thin facade compiled into every build. Its sending and registering methods are
/// [Conditional("UNITY_EDITOR")], [Conditional("DEVELOPMENT_BUILD")] and
/// [Conditional("STREAMSCOPE_ENABLED")]: in a release build without STREAMSCOPE_ENABLED the
/// compiler removes every call to them from your code (arguments included, so a lambda passed
/// to Register is never created), and the runtime assemblies are not compiled at all.
/// Values go into a bounded queue; a background task sends them. Nothing here blocks the game
/// or allocates per call once warm. Times are seconds since the play session started.
/// Call Register/Send/SendVector from the main thread; SendAt works from any thread.
/// </summary>
public static class StreamScope
{
    /// <summary>The package version.</summary>
    public const string Version = "0.1.0";

    /// <summary>The define that keeps StreamScope in a release build on purpose.</summary>
    public const string EnableDefine = "STREAMSCOPE_ENABLED";

    static IStreamScopeBackend s_backend;

    /// <summary>
    /// The runtime this facade forwards to; set by the StreamScope.Unity runtime when it is
    /// compiled in (editor, development builds, STREAMSCOPE_ENABLED), null otherwise.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static IStreamScopeBackend Backend
    {
        get { return s_backend; }
        set { s_backend = value; }
    }

    /// <summary>
    /// True when the runtime is compiled into this build. Reading it is a call like any other:
    /// in code meant to vanish from release builds, prefer the Conditional methods below.
    /// </summary>
    public static bool IsEnabled { get { return s_backend != null; } }

    /// <summary>Samples getter() at the configured rate as stream name (replaces an earlier registration).</summary>
    [Conditional("UNITY_EDITOR"), Conditional("DEVELOPMENT_BUILD"), Conditional("STREAMSCOPE_ENABLED")]
    public static void Register(string name, Func<double> getter)
    {
        IStreamScopeBackend b = s_backend;
        if (b != null) b.Register(name, Require(getter), null, null, null, null);
    }

    /// <summary>Samples getter() at the configured rate as stream name.</summary>
    [Conditional("UNITY_EDITOR"), Conditional("DEVELOPMENT_BUILD"), Conditional("STREAMSCOPE_ENABLED")]
    public static void Register(string name, Func<float> getter)
    {
        IStreamScopeBackend b = s_backend;
        if (b != null) b.Register(name, null, Require(getter), null, null, null);
    }

    /// <summary>Samples getter() at the configured rate as stream name.</summary>
    [Conditional("UNITY_EDITOR"), Conditional("DEVELOPMENT_BUILD"), Conditional("STREAMSCOPE_ENABLED")]
    public static void Register(string name, Func<int> getter)
    {
        IStreamScopeBackend b = s_backend;
        if (b != null) b.Register(name, null, null, Require(getter), null, null);
    }

    /// <summary>Samples getter() (true = 1, false = 0) at the configured rate as stream name.</summary>
    [Conditional("UNITY_EDITOR"), Conditional("DEVELOPMENT_BUILD"), Conditional("STREAMSCOPE_ENABLED")]
    public static void Register(string name, Func<bool> getter)
    {
        IStreamScopeBackend b = s_backend;
        if (b != null) b.Register(name, null, null, null, Require(getter), null);
    }

    /// <summary>Samples a vector as name.x, name.y and name.z.</summary>
    [Conditional("UNITY_EDITOR"), Conditional("DEVELOPMENT_BUILD"), Conditional("STREAMSCOPE_ENABLED")]
    public static void RegisterVector(string name, Func<Vector3> getter)
    {
        IStreamScopeBackend b = s_backend;
        if (b != null) b.Register(name, null, null, null, null, Require(getter));
    }

    /// <summary>Convenience for the classic player_position_x / player_position_z streams.</summary>
    [Conditional("UNITY_EDITOR"), Conditional("DEVELOPMENT_BUILD"), Conditional("STREAMSCOPE_ENABLED")]
    public static void TrackPlayer(Transform player)
    {
        if (ReferenceEquals(player, null)) throw new ArgumentNullException("player");
        IStreamScopeBackend b = s_backend;
        if (b != null) b.TrackPlayer(player);
    }

    /// <summary>Stops sampling a registered metric (no effect when unknown).</summary>
    [Conditional("UNITY_EDITOR"), Conditional("DEVELOPMENT_BUILD"), Conditional("STREAMSCOPE_ENABLED")]
    public static void Unregister(string name)
    {
        IStreamScopeBackend b = s_backend;
        if (b != null) b.Unregister(name);
    }

    /// <summary>Sends one value of stream name, stamped now. NaN/Infinity arrive as gaps.</summary>
    [Conditional("UNITY_EDITOR"), Conditional("DEVELOPMENT_BUILD"), Conditional("STREAMSCOPE_ENABLED")]
    public static void Send(string name, double value)
    {
        IStreamScopeBackend b = s_backend;
        if (b != null) b.Send(name, value);
    }

    /// <summary>Sends true as 1 and false as 0, stamped now.</summary>
    [Conditional("UNITY_EDITOR"), Conditional("DEVELOPMENT_BUILD"), Conditional("STREAMSCOPE_ENABLED")]
    public static void Send(string name, bool value)
    {
        IStreamScopeBackend b = s_backend;
        if (b != null) b.Send(name, value ? 1.0 : 0.0);
    }

    /// <summary>Sends name.x, name.y and name.z, stamped now.</summary>
    [Conditional("UNITY_EDITOR"), Conditional("DEVELOPMENT_BUILD"), Conditional("STREAMSCOPE_ENABLED")]
    public static void SendVector(string name, Vector3 value)
    {
        IStreamScopeBackend b = s_backend;
        if (b != null) b.SendVector(name, value);
    }

    /// <summary>Sends a value with an explicit time (seconds since the play session started). Any thread.</summary>
    [Conditional("UNITY_EDITOR"), Conditional("DEVELOPMENT_BUILD"), Conditional("STREAMSCOPE_ENABLED")]
    public static void SendAt(string name, double time, double value)
    {
        IStreamScopeBackend b = s_backend;
        if (b != null) b.SendAt(name, time, value);
    }

    /// <summary>
    /// Starts a session with the project's settings (Project Settings &gt; StreamScope) when
    /// none is running; needed only when Auto start is off.
    /// </summary>
    [Conditional("UNITY_EDITOR"), Conditional("DEVELOPMENT_BUILD"), Conditional("STREAMSCOPE_ENABLED")]
    public static void Begin()
    {
        IStreamScopeBackend b = s_backend;
        if (b != null) b.Begin();
    }

    /// <summary>Ends the session: sends what is queued (bounded by the shutdown timeout), says bye.</summary>
    [Conditional("UNITY_EDITOR"), Conditional("DEVELOPMENT_BUILD"), Conditional("STREAMSCOPE_ENABLED")]
    public static void Shutdown()
    {
        IStreamScopeBackend b = s_backend;
        if (b != null) b.Shutdown();
    }

    static T Require<T>(T getter) where T : class
    {
        if (getter == null) throw new ArgumentNullException("getter");
        return getter;
    }
}
