using System;
using UnityEngine;

namespace StreamScopeUnity
{
    /// <summary>
    /// What the Unity client streams and where. In the editor the project's settings
    /// (Window > StreamScope, saved in ProjectSettings/StreamScopeSettings.asset) are used by
    /// auto-start; a StreamScopeClient component placed in a scene uses its own copy.
    /// </summary>
    [Serializable]
    public sealed class StreamScopeSettings
    {
        [Tooltip("Start streaming automatically when play mode starts (editor only; in players add a StreamScopeClient or call StreamScope.Begin).")]
        public bool autoStart = true;

        [Tooltip("The StreamScope app's WebSocket address.")]
        public string address = "ws://127.0.0.1:8765";

        [Tooltip("How many times per second built-in and registered metrics are sampled.")]
        [Range(1, 120)]
        public int sampleRateHz = 10;

        [Header("Built-in metrics")]
        [Tooltip("fps: frames counted between samples / elapsed real time.")]
        public bool fps = true;

        [Tooltip("memory_usage_mb: Profiler.GetTotalAllocatedMemoryLong in MiB.")]
        public bool memory = true;

        [Tooltip("main_thread_ms: the 'Main Thread' profiler counter (ns -> ms).")]
        public bool mainThreadTime = true;

        [Tooltip("gc_reserved_mb, system_used_mb: memory profiler counters in MiB.")]
        public bool memoryCounters = true;

        [Tooltip("draw_calls, batches, setpass_calls, triangles, vertices (editor and development builds).")]
        public bool renderCounters = true;

        [Tooltip("player_position_x / player_position_z of the GameObject tagged below.")]
        public bool playerPosition = true;

        public string playerTag = "Player";

        [Header("Advanced")]
        [Tooltip("Samples kept while the app is away; the oldest are dropped beyond this.")]
        public int queueCapacity = 20000;

        [Tooltip("A frame is sent as soon as this many samples are queued (else every 50 ms).")]
        public int maxBatchSamples = 512;

        [Tooltip("How long quitting may wait to send what is queued (ms).")]
        public int shutdownTimeoutMs = 500;

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
            if (playerTag == null) playerTag = "";
        }
    }
}
