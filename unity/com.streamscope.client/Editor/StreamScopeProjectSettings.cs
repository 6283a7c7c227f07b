using StreamScopeUnity;
using UnityEditor;
using UnityEngine;

namespace StreamScopeEditor
{
    /// <summary>
    /// The project's StreamScope settings, stored in ProjectSettings/StreamScopeSettings.asset
    /// (ScriptableSingleton + FilePath: per project, can be committed with the project).
    /// </summary>
    [FilePath("ProjectSettings/StreamScopeSettings.asset", FilePathAttribute.Location.ProjectFolder)]
    public sealed class StreamScopeProjectSettings : ScriptableSingleton<StreamScopeProjectSettings>
    {
        [SerializeField]
        StreamScopeSettings settings = new StreamScopeSettings();

        public StreamScopeSettings Settings
        {
            get
            {
                if (settings == null) settings = new StreamScopeSettings();
                return settings;
            }
        }

        public void SaveSettings()
        {
            Settings.Sanitize();
            Save(true);
        }
    }
}
