using System.Collections.Generic;
using StreamScopeUnity;
using UnityEditor;
using UnityEditorInternal;
using UnityEngine;

namespace StreamScopeEditor
{
    /// <summary>
    /// Project Settings &gt; StreamScope. Text fields are delayed (they change when you press
    /// Enter or leave the field), and the asset is saved when a change is committed, not on
    /// every keystroke. The player tag is picked from the project's tags.
    /// </summary>
    public static class StreamScopeSettingsProvider
    {
        /// <summary>Where the page is in the Project Settings window.</summary>
        public const string Path = "Project/StreamScope";

        /// <summary>Registers the page with Unity.</summary>
        [SettingsProvider]
        public static SettingsProvider Create()
        {
            var provider = new SettingsProvider(Path, SettingsScope.Project);
            provider.label = "StreamScope";
            provider.guiHandler = OnGUI;
            provider.keywords = new HashSet<string>(new[] { "StreamScope", "telemetry", "token", "address", "profiler" });
            return provider;
        }

        static void OnGUI(string searchContext)
        {
            StreamScopeRuntimeSettings asset = StreamScopeSettingsAsset.GetOrCreate();
            var so = new SerializedObject(asset);
            SerializedProperty s = so.FindProperty("settings");
            EditorGUI.BeginChangeCheck();
            Field(s, "autoStart", "Auto start");
            EditorGUILayout.DelayedTextField(s.FindPropertyRelative("address"), new GUIContent("App address"));
            EditorGUILayout.DelayedTextField(s.FindPropertyRelative("token"), new GUIContent("Token"));
            Field(s, "sampleRateHz", "Sample rate (Hz)");
            EditorGUILayout.LabelField("Built-in metrics", EditorStyles.boldLabel);
            Field(s, "fps", "fps");
            Field(s, "memory", "memory_usage_mb");
            Field(s, "mainThreadTime", "main_thread_ms");
            Field(s, "memoryCounters", "gc_reserved / system_used");
            Field(s, "renderCounters", "Render counters");
            Field(s, "playerPosition", "Player position");
            SerializedProperty tag = s.FindPropertyRelative("playerTag");
            using (new EditorGUI.DisabledScope(!s.FindPropertyRelative("playerPosition").boolValue))
            {
                tag.stringValue = PlayerTagField(tag.stringValue);
            }
            EditorGUILayout.LabelField("Advanced", EditorStyles.boldLabel);
            EditorGUILayout.DelayedIntField(s.FindPropertyRelative("queueCapacity"), new GUIContent("Queue capacity"));
            EditorGUILayout.DelayedIntField(s.FindPropertyRelative("maxBatchSamples"), new GUIContent("Samples per batch"));
            EditorGUILayout.DelayedIntField(s.FindPropertyRelative("historySize"), new GUIContent("History per metric"));
            EditorGUILayout.DelayedIntField(s.FindPropertyRelative("connectTimeoutMs"), new GUIContent("Connect timeout (ms)"));
            EditorGUILayout.DelayedIntField(s.FindPropertyRelative("shutdownTimeoutMs"), new GUIContent("Shutdown timeout (ms)"));
            if (EditorGUI.EndChangeCheck() && so.ApplyModifiedProperties())
            {
                asset.Settings.Sanitize();
                EditorUtility.SetDirty(asset);
                AssetDatabase.SaveAssetIfDirty(asset);
            }
            EditorGUILayout.HelpBox(
                "Stored in " + AssetDatabase.GetAssetPath(asset) + ". Changes apply from the next play session. "
                + "Development builds and builds defining STREAMSCOPE_ENABLED carry these settings (token included); release builds carry nothing.",
                MessageType.None);
        }

        static void Field(SerializedProperty settings, string name, string label)
        {
            EditorGUILayout.PropertyField(settings.FindPropertyRelative(name), new GUIContent(label));
        }

        /// <summary>A popup of the project's tags; a tag that no longer exists is shown with a warning.</summary>
        static string PlayerTagField(string current)
        {
            if (!IsDefinedTag(current))
            {
                EditorGUILayout.HelpBox("The player tag '" + current + "' is not defined in this project: pick one below "
                                        + "(player_position_x/z are skipped until then).", MessageType.Warning);
                current = "Untagged";
            }
            return EditorGUILayout.TagField("Player tag", current);
        }

        /// <summary>Whether tag is one of the project's tags (Tags and Layers).</summary>
        public static bool IsDefinedTag(string tag)
        {
            if (string.IsNullOrEmpty(tag)) return false;
            string[] tags = InternalEditorUtility.tags;
            for (int i = 0; i < tags.Length; i++)
                if (tags[i] == tag) return true;
            return false;
        }
    }
}
