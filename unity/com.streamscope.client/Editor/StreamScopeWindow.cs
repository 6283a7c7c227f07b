using StreamScopeCore;
using StreamScopeUnity;
using UnityEditor;
using UnityEngine;

namespace StreamScopeEditor
{
    /// <summary>Window &gt; StreamScope: connection state and counters (settings live in Project Settings &gt; StreamScope).</summary>
    public sealed class StreamScopeWindow : EditorWindow
    {
        /// <summary>Opens the window.</summary>
        [MenuItem("Window/StreamScope")]
        public static void Open()
        {
            var window = GetWindow<StreamScopeWindow>("StreamScope");
            window.minSize = new Vector2(320, 280);
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
            if (GUILayout.Button("Open Project Settings > StreamScope"))
                SettingsService.OpenProjectSettings(StreamScopeSettingsProvider.Path);
        }

        static void DrawStatus()
        {
            EditorGUILayout.LabelField("Connection", EditorStyles.boldLabel);
            TelemetryClient client = StreamScopeRuntime.Client;
            TelemetryStats stats = StreamScopeRuntime.GetStats();
            string state = client == null
                ? (EditorApplication.isPlaying ? "Not running" : "Not playing")
                : stats.State.ToString();
            EditorGUILayout.LabelField("State", state);
            EditorGUILayout.LabelField("App address", client != null ? client.Url.ToString() : StreamScopeSettingsAsset.GetOrCreate().Settings.address);
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
                    if (GUILayout.Button("Stop streaming")) StreamScopeRuntime.Shutdown();
                }
                else if (GUILayout.Button("Start streaming"))
                {
                    StreamScopeRuntime.Begin(StreamScopeSettingsAsset.Copy());
                }
            }
        }
    }
}
