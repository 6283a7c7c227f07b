using System;
using StreamScopeUnity;
using UnityEditor;

namespace StreamScopeEditor
{
    /// <summary>
    /// Connects the runtime to the editor: installs it behind the StreamScope facade, hands the
    /// project settings to Begin and auto-start, counts play sessions, and shuts the client down
    /// when play mode ends or scripts reload (a client left running across a domain reload would
    /// keep a socket and a thread of a dead domain). Shutdown is bounded: a connect that hangs is
    /// abandoned at once, so leaving play mode never waits for the network.
    /// </summary>
    [InitializeOnLoad]
    public static class StreamScopeEditorHooks
    {
        const string PlayCountKey = "StreamScope.PlaySessions";

        static StreamScopeEditorHooks()
        {
            StreamScopeRuntime.Install();
            StreamScopeRuntime.SettingsProvider = StreamScopeSettingsAsset.Copy;
            EditorApplication.playModeStateChanged -= OnPlayModeStateChanged;
            EditorApplication.playModeStateChanged += OnPlayModeStateChanged;
            AssemblyReloadEvents.beforeAssemblyReload -= OnBeforeAssemblyReload;
            AssemblyReloadEvents.beforeAssemblyReload += OnBeforeAssemblyReload;
        }

        /// <summary>Play sessions entered since the editor started (survives domain reloads).</summary>
        public static int PlaySessionCount
        {
            get { return SessionState.GetInt(PlayCountKey, 0); }
        }

        static void OnPlayModeStateChanged(PlayModeStateChange change)
        {
            if (change == PlayModeStateChange.EnteredPlayMode)
            {
                SessionState.SetInt(PlayCountKey, PlaySessionCount + 1);
            }
            else if (change == PlayModeStateChange.ExitingPlayMode)
            {
                StreamScopeRuntime.Shutdown();
            }
        }

        static void OnBeforeAssemblyReload()
        {
            try
            {
                StreamScopeRuntime.Shutdown();
            }
            catch (Exception e)
            {
                UnityEngine.Debug.LogWarning("StreamScope: shutdown before reload: " + e.Message);
            }
        }
    }
}
