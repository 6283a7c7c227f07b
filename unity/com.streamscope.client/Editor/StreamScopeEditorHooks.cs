using System;
using UnityEditor;

namespace StreamScopeEditor
{
    /// <summary>
    /// Connects the runtime to the editor: hands the project settings to auto-start, counts
    /// play sessions, and shuts the client down when play mode ends or scripts reload (a client
    /// left running across a domain reload would keep a socket and a thread of a dead domain).
    /// </summary>
    [InitializeOnLoad]
    public static class StreamScopeEditorHooks
    {
        const string PlayCountKey = "StreamScope.PlaySessions";

        static StreamScopeEditorHooks()
        {
            StreamScope.SettingsProvider = ProjectSettingsCopy;
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

        static StreamScopeUnity.StreamScopeSettings ProjectSettingsCopy()
        {
            return StreamScopeProjectSettings.instance.Settings.Clone();
        }

        static void OnPlayModeStateChanged(PlayModeStateChange change)
        {
            if (change == PlayModeStateChange.EnteredPlayMode)
            {
                SessionState.SetInt(PlayCountKey, PlaySessionCount + 1);
            }
            else if (change == PlayModeStateChange.ExitingPlayMode)
            {
                StreamScope.Shutdown();
            }
        }

        static void OnBeforeAssemblyReload()
        {
            try
            {
                StreamScope.Shutdown();
            }
            catch (Exception e)
            {
                UnityEngine.Debug.LogWarning("StreamScope: shutdown before reload: " + e.Message);
            }
        }
    }
}
