using System;
using StreamScopeCore;
using Unity.Profiling;
using UnityEngine;
using UnityEngine.Profiling;

namespace StreamScopeUnity
{
    /// <summary>
    /// The built-in metrics, read on the main thread at the sample rate. Profiler counters come
    /// from ProfilerRecorder; a counter that is unavailable (not Valid, or nothing recorded yet,
    /// e.g. render counters in a release player) is sent as NaN, which goes out as null (a gap),
    /// never as 0.
    /// </summary>
    public sealed class BuiltInMetrics : IDisposable
    {
        const double BytesPerMiB = 1024.0 * 1024.0;

        readonly StreamScopeSettings _settings;
        ProfilerRecorder _mainThread;
        ProfilerRecorder _gcReserved;
        ProfilerRecorder _systemUsed;
        ProfilerRecorder _drawCalls;
        ProfilerRecorder _batches;
        ProfilerRecorder _setPassCalls;
        ProfilerRecorder _triangles;
        ProfilerRecorder _vertices;
        int _frames;
        double _lastSample = double.NaN;
        Transform _player;
        double _nextPlayerLookup;
        bool _playerTagInvalid;

        /// <summary>Starts the profiler recorders the settings enable.</summary>
        public BuiltInMetrics(StreamScopeSettings settings)
        {
            _settings = settings ?? new StreamScopeSettings();
            if (_settings.mainThreadTime)
                _mainThread = ProfilerRecorder.StartNew(ProfilerCategory.Internal, "Main Thread", 15);
            if (_settings.memoryCounters)
            {
                _gcReserved = ProfilerRecorder.StartNew(ProfilerCategory.Memory, "GC Reserved Memory");
                _systemUsed = ProfilerRecorder.StartNew(ProfilerCategory.Memory, "System Used Memory");
            }
            if (_settings.renderCounters)
            {
                _drawCalls = ProfilerRecorder.StartNew(ProfilerCategory.Render, "Draw Calls Count");
                _batches = ProfilerRecorder.StartNew(ProfilerCategory.Render, "Batches Count");
                _setPassCalls = ProfilerRecorder.StartNew(ProfilerCategory.Render, "SetPass Calls Count");
                _triangles = ProfilerRecorder.StartNew(ProfilerCategory.Render, "Triangles Count");
                _vertices = ProfilerRecorder.StartNew(ProfilerCategory.Render, "Vertices Count");
            }
        }

        /// <summary>Call once per rendered frame.</summary>
        public void CountFrame()
        {
            _frames++;
        }

        /// <summary>Enqueues one value of every enabled built-in metric at time now (allocates nothing).</summary>
        public void Sample(TelemetryClient client, double now)
        {
            if (_settings.fps)
            {
                if (!double.IsNaN(_lastSample) && now > _lastSample)
                    client.Enqueue("fps", now, _frames / (now - _lastSample));
            }
            _frames = 0;
            _lastSample = now;

            if (_settings.memory)
                client.Enqueue("memory_usage_mb", now, Profiler.GetTotalAllocatedMemoryLong() / BytesPerMiB);

            if (_settings.mainThreadTime)
                client.Enqueue("main_thread_ms", now, Read(ref _mainThread) * 1e-6);  // ns -> ms

            if (_settings.memoryCounters)
            {
                client.Enqueue("gc_reserved_mb", now, Read(ref _gcReserved) / BytesPerMiB);
                client.Enqueue("system_used_mb", now, Read(ref _systemUsed) / BytesPerMiB);
            }

            if (_settings.renderCounters)
            {
                client.Enqueue("draw_calls", now, Read(ref _drawCalls));
                client.Enqueue("batches", now, Read(ref _batches));
                client.Enqueue("setpass_calls", now, Read(ref _setPassCalls));
                client.Enqueue("triangles", now, Read(ref _triangles));
                client.Enqueue("vertices", now, Read(ref _vertices));
            }

            if (_settings.playerPosition && !_playerTagInvalid && !string.IsNullOrEmpty(_settings.playerTag))
            {
                if (_player == null && now >= _nextPlayerLookup)
                {
                    _nextPlayerLookup = now + 1.0;  // FindWithTag at most once a second
                    _player = FindPlayer(_settings.playerTag);
                }
                if (_player != null)
                {
                    Vector3 p = _player.position;
                    client.Enqueue("player_position_x", now, p.x);
                    client.Enqueue("player_position_z", now, p.z);
                }
            }
        }

        /// <summary>The tagged object's transform; a tag the project does not define is reported once, then skipped.</summary>
        Transform FindPlayer(string tag)
        {
            GameObject player;
            try
            {
                player = GameObject.FindWithTag(tag);
            }
            catch (UnityException)
            {
                _playerTagInvalid = true;
                Debug.LogWarning("StreamScope: the player tag '" + tag + "' is not defined in this project (Tags and Layers); "
                                 + "player_position_x/z are not sent. Pick a tag in Project Settings > StreamScope.");
                return null;
            }
            return player != null ? player.transform : null;
        }

        /// <summary>The recorder's last complete-frame value, or NaN when it has none.</summary>
        static double Read(ref ProfilerRecorder recorder)
        {
            if (!recorder.Valid || recorder.Count == 0) return double.NaN;
            return recorder.LastValue;
        }

        /// <summary>Whether the recorder of this counter name exists in this player (for tests).</summary>
        public bool IsRecorderValid(string statName)
        {
            switch (statName)
            {
                case "Main Thread": return _mainThread.Valid;
                case "GC Reserved Memory": return _gcReserved.Valid;
                case "System Used Memory": return _systemUsed.Valid;
                case "Draw Calls Count": return _drawCalls.Valid;
                case "Batches Count": return _batches.Valid;
                case "SetPass Calls Count": return _setPassCalls.Valid;
                case "Triangles Count": return _triangles.Valid;
                case "Vertices Count": return _vertices.Valid;
                default: return false;
            }
        }

        /// <summary>The profiler counter names the recorders use (Unity's spelling).</summary>
        public static readonly string[] CounterNames =
        {
            "Main Thread", "GC Reserved Memory", "System Used Memory", "Draw Calls Count",
            "Batches Count", "SetPass Calls Count", "Triangles Count", "Vertices Count",
        };

        /// <summary>Stops the recorders.</summary>
        public void Dispose()
        {
            _mainThread.Dispose();
            _gcReserved.Dispose();
            _systemUsed.Dispose();
            _drawCalls.Dispose();
            _batches.Dispose();
            _setPassCalls.Dispose();
            _triangles.Dispose();
            _vertices.Dispose();
        }
    }
}
