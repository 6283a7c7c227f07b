using System.Collections.Generic;
using StreamScopeUnity;
using UnityEditor;
using UnityEditor.Build;
using UnityEditor.Build.Reporting;
using UnityEngine;

namespace StreamScopeEditor
{
    /// <summary>
    /// Puts the settings asset into the build's preloaded assets when the build compiles the
    /// StreamScope runtime (development build, or STREAMSCOPE_ENABLED in the scripting defines),
    /// and takes it out again after the build, so release builds never carry the address or token.
    /// </summary>
    public sealed class StreamScopeBuildSettings : IPreprocessBuildWithReport, IPostprocessBuildWithReport
    {
        /// <summary>Runs early among build callbacks.</summary>
        public int callbackOrder { get { return 0; } }

        /// <summary>Adds (or, for a release build, removes) the settings asset in the preloaded assets.</summary>
        public void OnPreprocessBuild(BuildReport report)
        {
            bool development = (report.summary.options & BuildOptions.Development) != 0;
            NamedBuildTarget target = NamedBuildTarget.FromBuildTargetGroup(report.summary.platformGroup);
            string defines = PlayerSettings.GetScriptingDefineSymbols(target);
            bool enabled = development || HasDefine(defines, StreamScope.EnableDefine);
            RemoveFromPreloaded();
            if (!enabled) return;
            var preloaded = new List<Object>(PlayerSettings.GetPreloadedAssets());
            preloaded.Add(StreamScopeSettingsAsset.GetOrCreate());
            PlayerSettings.SetPreloadedAssets(preloaded.ToArray());
        }

        /// <summary>Takes the settings asset out of the preloaded assets again.</summary>
        public void OnPostprocessBuild(BuildReport report)
        {
            RemoveFromPreloaded();
        }

        static void RemoveFromPreloaded()
        {
            Object[] current = PlayerSettings.GetPreloadedAssets();
            var kept = new List<Object>(current.Length);
            foreach (Object asset in current)
                if (asset != null && !(asset is StreamScopeRuntimeSettings)) kept.Add(asset);
            if (kept.Count != current.Length) PlayerSettings.SetPreloadedAssets(kept.ToArray());
        }

        /// <summary>Whether a ';'-separated define list contains define.</summary>
        public static bool HasDefine(string defines, string define)
        {
            if (string.IsNullOrEmpty(defines)) return false;
            foreach (string d in defines.Split(';'))
                if (d.Trim() == define) return true;
            return false;
        }
    }
}
