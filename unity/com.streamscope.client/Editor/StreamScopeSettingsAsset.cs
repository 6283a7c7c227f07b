using StreamScopeUnity;
using UnityEditor;
using UnityEngine;

namespace StreamScopeEditor
{
    /// <summary>
    /// Finds or creates the project's settings asset (Assets/StreamScope/StreamScopeSettings.asset).
    /// An asset, not a ProjectSettings file, because players must be able to load it.
    /// </summary>
    public static class StreamScopeSettingsAsset
    {
        /// <summary>Where a new settings asset is created.</summary>
        public const string DefaultPath = "Assets/StreamScope/StreamScopeSettings.asset";

        static StreamScopeRuntimeSettings s_cached;

        /// <summary>The project's settings asset; created at DefaultPath when the project has none.</summary>
        public static StreamScopeRuntimeSettings GetOrCreate()
        {
            if (s_cached != null) return s_cached;
            string[] guids = AssetDatabase.FindAssets("t:StreamScopeRuntimeSettings");
            if (guids.Length > 0)
            {
                s_cached = AssetDatabase.LoadAssetAtPath<StreamScopeRuntimeSettings>(AssetDatabase.GUIDToAssetPath(guids[0]));
                if (s_cached != null) return s_cached;
            }
            var created = ScriptableObject.CreateInstance<StreamScopeRuntimeSettings>();
            if (!AssetDatabase.IsValidFolder("Assets/StreamScope")) AssetDatabase.CreateFolder("Assets", "StreamScope");
            AssetDatabase.CreateAsset(created, DefaultPath);
            AssetDatabase.SaveAssets();
            s_cached = created;
            return created;
        }

        /// <summary>A copy of the project's settings, sanitized (what play mode uses).</summary>
        public static StreamScopeSettings Copy()
        {
            StreamScopeSettings copy = GetOrCreate().Settings.Clone();
            copy.Sanitize();
            return copy;
        }
    }
}
