using System;
using UnityEngine;

namespace StreamScopeUnity
{
    /// <summary>
    /// What the Unity client streams and where. Edited in Project Settings &gt; StreamScope and
    /// kept in a StreamScopeRuntimeSettings asset (Assets/StreamScope/StreamScopeSettings.asset),
    /// which development builds and builds defining STREAMSCOPE_ENABLED carry and load.
    /// </summary>
    [Serializable]
    public sealed class StreamScopeSettings
    {
        /// <summary>Start streaming when play mode starts (and when a build carrying the settings starts).</summary>
        [Tooltip("Start streaming when play mode starts, and when a development build (or one defining STREAMSCOPE_ENABLED) starts.")]
        public bool autoStart = true;

        /// <summary>The StreamScope app's WebSocket address.</summary>
        [Tooltip("The StreamScope app's WebSocket address, e.g. ws://192.168.1.10:8765 for an app started with --host 0.0.0.0 --token ...")]
        public string address = "ws://127.0.0.1:8765";

        /// <summary>The app's --token (sent as Authorization: Bearer); empty for an app on this machine without one.</summary>
        [Tooltip("The app's --token, needed when the app listens beyond this machine. Stored in the settings asset: keep it out of public repositories.")]
        public string token = "";

        /// <summary>How many times per second built-in and registered metrics are sampled.</summary>
        [Tooltip("How many times per second built-in and registered metrics are sampled.")]
        [Range(1, 120)]
        public int sampleRateHz = 10;

        /// <summary>fps: frames counted between samples / elapsed real time.</summary>
        [Header("Built-in metrics")]
        [Tooltip("fps: frames counted between samples / elapsed real time.")]
        public bool fps = true;

        /// <summary>memory_usage_mb: Profiler.GetTotalAllocatedMemoryLong in MiB.</summary>
        [Tooltip("memory_usage_mb: Profiler.GetTotalAllocatedMemoryLong in MiB.")]
        public bool memory = true;

        /// <summary>main_thread_ms: the 'Main Thread' profiler counter.</summary>
        [Tooltip("main_thread_ms: the 'Main Thread' profiler counter (ns -> ms).")]
        public bool mainThreadTime = true;

        /// <summary>gc_reserved_mb, system_used_mb: memory profiler counters.</summary>
        [Tooltip("gc_reserved_mb, system_used_mb: memory profiler counters in MiB.")]
        public bool memoryCounters = true;

        /// <summary>draw_calls, batches, setpass_calls, triangles, vertices.</summary>
        [Tooltip("draw_calls, batches, setpass_calls, triangles, vertices (editor and development builds).")]
        public bool renderCounters = true;

        /// <summary>player_position_x / player_position_z of the GameObject tagged playerTag.</summary>
        [Tooltip("player_position_x / player_position_z of the GameObject tagged below.")]
        public bool playerPosition = true;

        /// <summary>The tag of the player GameObject (a tag that is not defined is reported once and skipped).</summary>
        [Tooltip("The tag of the player GameObject.")]
        public string playerTag = "Player";

        /// <summary>Samples kept while the app is away; the oldest are dropped beyond this.</summary>
        [Header("Advanced")]
        [Tooltip("Samples kept while the app is away; the oldest are dropped beyond this.")]
        public int queueCapacity = 20000;

        /// <summary>A batch is sent as soon as this many samples are queued (else every 50 ms).</summary>
        [Tooltip("A batch is sent as soon as this many samples are queued (else every 50 ms).")]
        public int maxBatchSamples = 512;

        /// <summary>Recent values kept per metric for the app's history requests (0 = none).</summary>
        [Tooltip("Recent values kept per metric so the app can fill a gap after pausing it (0 = none).")]
        public int historySize = 2048;

        /// <summary>How long one connect attempt may take (ms).</summary>
        [Tooltip("How long one connect attempt may take before it is abandoned and retried (ms).")]
        public int connectTimeoutMs = 5000;

        /// <summary>How long quitting may wait to send what is queued (ms).</summary>
        [Tooltip("How long quitting or leaving play mode may wait to send what is queued (ms).")]
        public int shutdownTimeoutMs = 500;

        /// <summary>A copy.</summary>
        public StreamScopeSettings Clone()
        {
            return (StreamScopeSettings)MemberwiseClone();
        }

        /// <summary>Brings out-of-range values back into range (settings files can be edited by hand).</summary>
        public void Sanitize()
        {
            if (string.IsNullOrEmpty(address)) address = "ws://127.0.0.1:8765";
            address = address.Trim();
            if (sampleRateHz < 1) sampleRateHz = 1;
            if (sampleRateHz > 120) sampleRateHz = 120;
            if (queueCapacity < 100) queueCapacity = 100;
            if (maxBatchSamples < 1) maxBatchSamples = 1;
            if (shutdownTimeoutMs < 0) shutdownTimeoutMs = 0;
            if (historySize < 0) historySize = 0;
            if (historySize > 1000000) historySize = 1000000;
            if (connectTimeoutMs < 100) connectTimeoutMs = 100;
            if (token == null) token = "";
            token = token.Trim();
            if (playerTag == null) playerTag = "";
        }
    }
}
