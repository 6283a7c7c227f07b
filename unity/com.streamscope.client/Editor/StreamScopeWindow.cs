using StreamScopeCore;
using StreamScopeUnity;
using UnityEditor;
using UnityEngine;

namespace StreamScopeEditor
{
    /// <summary>Window > StreamScope: connection state, counters and the project's settings.</summary>
    public sealed class StreamScopeWindow : EditorWindow
    {
        [MenuItem("Window/StreamScope")]
        public static void Open()
        {
            var window = GetWindow<StreamScopeWindow>("StreamScope");
            window.minSize = new Vector2(320, 360);
            window.Show();
        }

        void OnInspectorUpdate()
        {
            // About 10 times a second: keep the counters live while playing.
            if (EditorApplication.isPlaying) Repaint();
        }

        void OnGUI()
        {
            DrawStatus();
            EditorGUILayout.Space();
            DrawSettings();
        }

        static void DrawStatus()
        {
            EditorGUILayout.LabelField("Connection", EditorStyles.boldLabel);
            TelemetryClient client = StreamScope.Client;
            TelemetryStats stats = StreamScope.GetStats();
            string state = client == null
                ? (EditorApplication.isPlaying ? "Not running" : "Not playing")
                : stats.State.ToString();
            EditorGUILayout.LabelField("State", state);
            EditorGUILayout.LabelField("App address", client != null ? client.Url.ToString() : StreamScopeProjectSettings.instance.Settings.address);
            EditorGUILayout.LabelField("Play sessions", StreamScopeEditorHooks.PlaySessionCount.ToString());
            if (client != null) EditorGUILayout.LabelField("Session id", client.SessionId);
            EditorGUILayout.LabelField("Samples sent", stats.SamplesSent.ToString());
            EditorGUILayout.LabelField("Samples dropped (queue full)", stats.SamplesDropped.ToString());
            EditorGUILayout.LabelField("Samples paused by the app", stats.SamplesPaused.ToString());
            EditorGUILayout.LabelField("Queued", stats.SamplesQueued.ToString());
            EditorGUILayout.LabelField("Reconnects", stats.ReconnectCount.ToString());
            if (client != null)
            {
                string[] paused = client.PausedMetrics;
                if (paused.Length > 0) EditorGUILayout.LabelField("Paused metrics", string.Join(", ", paused));
            }
            if (!string.IsNullOrEmpty(stats.LastError) && stats.State != ClientState.Connected)
                EditorGUILayout.HelpBox(stats.LastError, MessageType.Warning);
            if (!string.IsNullOrEmpty(stats.LastServerError))
                EditorGUILayout.HelpBox("App: " + stats.LastServerError, MessageType.Info);

            if (EditorApplication.isPlaying)
            {
                if (client != null)
                {
                    if (GUILayout.Button("Stop streaming")) StreamScope.Shutdown();
                }
                else if (GUILayout.Button("Start streaming"))
                {
                    StreamScope.Begin(StreamScopeProjectSettings.instance.Settings);
                }
            }
        }

        static void DrawSettings()
        {
            StreamScopeProjectSettings store = StreamScopeProjectSettings.instance;
            StreamScopeSettings s = store.Settings;
            EditorGUILayout.LabelField("Project settings", EditorStyles.boldLabel);
            EditorGUI.BeginChangeCheck();
            s.autoStart = EditorGUILayout.Toggle("Auto start in play mode", s.autoStart);
            s.address = EditorGUILayout.TextField("App address", s.address);
            s.sampleRateHz = EditorGUILayout.IntSlider("Sample rate (Hz)", s.sampleRateHz, 1, 120);
            EditorGUILayout.LabelField("Built-in metrics", EditorStyles.boldLabel);
            s.fps = EditorGUILayout.Toggle("fps", s.fps);
            s.memory = EditorGUILayout.Toggle("memory_usage_mb", s.memory);
            s.mainThreadTime = EditorGUILayout.Toggle("main_thread_ms", s.mainThreadTime);
            s.memoryCounters = EditorGUILayout.Toggle("gc_reserved / system_used", s.memoryCounters);
            s.renderCounters = EditorGUILayout.Toggle("Render counters", s.renderCounters);
            s.playerPosition = EditorGUILayout.Toggle("Player position", s.playerPosition);
            using (new EditorGUI.DisabledScope(!s.playerPosition))
            {
                s.playerTag = EditorGUILayout.TextField("Player tag", s.playerTag);
            }
            EditorGUILayout.LabelField("Advanced", EditorStyles.boldLabel);
            s.queueCapacity = EditorGUILayout.IntField("Queue capacity", s.queueCapacity);
            s.maxBatchSamples = EditorGUILayout.IntField("Samples per frame", s.maxBatchSamples);
            s.shutdownTimeoutMs = EditorGUILayout.IntField("Shutdown timeout (ms)", s.shutdownTimeoutMs);
            if (EditorGUI.EndChangeCheck()) store.SaveSettings();
            EditorGUILayout.HelpBox("Changes apply from the next play session. Stored in ProjectSettings/StreamScopeSettings.asset.", MessageType.None);
        }
    }
}
