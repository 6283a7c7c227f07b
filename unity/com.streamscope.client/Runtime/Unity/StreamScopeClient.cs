using System;
using StreamScopeCore;
using UnityEngine;

namespace StreamScopeUnity
{
    /// <summary>
    /// Samples the built-in and registered metrics on the main thread and hands them to the
    /// StreamScope session; the network work happens on a background task.
    /// Auto-start creates one of these ("[StreamScope]", DontDestroyOnLoad). To configure it in
    /// a scene instead, add this component and turn Auto Start off in Window > StreamScope.
    /// </summary>
    [AddComponentMenu("StreamScope/StreamScope Client")]
    [DisallowMultipleComponent]
    [DefaultExecutionOrder(-10000)]
    public sealed class StreamScopeClient : MonoBehaviour
    {
        [SerializeField]
        StreamScopeSettings settings = new StreamScopeSettings();

        [Tooltip("Keep this object (and the session) alive across scene loads.")]
        [SerializeField]
        bool keepAcrossScenes = true;

        static StreamScopeClient s_active;
        static StreamScopeSettings s_injected;

        BuiltInMetrics _metrics;
        TelemetryClient _metricsClient;  // the session _metrics was made for
        double _nextSample;

        /// <summary>The instance doing the sampling, or null.</summary>
        public static StreamScopeClient Active { get { return s_active; } }

        public StreamScopeSettings Settings { get { return settings; } }

        internal static void ResetStatics()
        {
            s_active = null;
            s_injected = null;
        }

        /// <summary>Makes sure some StreamScopeClient samples for the running session.</summary>
        internal static void EnsureHost(StreamScopeSettings sessionSettings)
        {
            if (s_active != null) return;
            var go = new GameObject("[StreamScope]");
            s_injected = sessionSettings;
            go.AddComponent<StreamScopeClient>();  // Awake and OnEnable run inside AddComponent
            s_injected = null;
        }

        void Awake()
        {
            if (s_active != null && s_active != this)
            {
                Debug.LogWarning("StreamScope: a StreamScopeClient is already running (auto-start is on?); '" + name
                                 + "' is disabled. Turn Auto Start off in Window > StreamScope to use this component's settings.");
                enabled = false;
                return;
            }
            s_active = this;
            if (s_injected != null) settings = s_injected.Clone();
            if (keepAcrossScenes && transform.parent == null) DontDestroyOnLoad(gameObject);
        }

        void OnEnable()
        {
            if (s_active != this) return;
            if (!StreamScope.IsRunning) StreamScope.Begin(settings);
        }

        void Update()
        {
            if (s_active != this) return;
            TelemetryClient client = StreamScope.Client;
            if (client == null)
            {
                DisposeMetrics();
                return;
            }
            if (_metrics == null || _metricsClient != client)
            {
                DisposeMetrics();  // a new session (Shutdown + Begin) may have other settings
                _metrics = new BuiltInMetrics(StreamScope.ActiveSettings);
                _metricsClient = client;
                _nextSample = 0;
            }
            _metrics.CountFrame();
            double now = StreamScope.Now;
            if (now < _nextSample) return;
            StreamScopeSettings active = StreamScope.ActiveSettings;
            double period = 1.0 / Math.Max(1, active != null ? active.sampleRateHz : settings.sampleRateHz);
            // Keep a steady grid, but never try to catch up after a hitch.
            _nextSample = now - _nextSample > period ? now + period : _nextSample + period;
            _metrics.Sample(client, now);
            StreamScope.SampleRegistered(client, now);
        }

        void OnDisable()
        {
            DisposeMetrics();
        }

        void OnDestroy()
        {
            DisposeMetrics();
            if (s_active != this) return;
            s_active = null;
            StreamScope.Shutdown();
        }

        void DisposeMetrics()
        {
            _metricsClient = null;
            if (_metrics == null) return;
            _metrics.Dispose();
            _metrics = null;
        }
    }
}
