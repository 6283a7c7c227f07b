// Minimal, signature-only stand-in for the parts of UnityEditor that StreamScope's Editor code
// uses (Unity 2021.3 signatures). Type-checking only: nothing here behaves like Unity.
using System;
using UnityEngine;

namespace UnityEditor
{
    public class EditorWindow : ScriptableObject
    {
        public GUIContent titleContent { get; set; }
        public Vector2 minSize { get; set; }
        public static T GetWindow<T>() where T : EditorWindow { return null; }
        public static T GetWindow<T>(string title) where T : EditorWindow { return null; }
        public void Show() { }
        public void Repaint() { }
    }

    [AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
    public sealed class MenuItem : Attribute
    {
        public MenuItem(string itemName) { }
        public MenuItem(string itemName, bool isValidateFunction) { }
        public MenuItem(string itemName, bool isValidateFunction, int priority) { }
    }

    [AttributeUsage(AttributeTargets.Class)]
    public sealed class InitializeOnLoadAttribute : Attribute { }

    public sealed class MenuCommand
    {
        public UnityEngine.Object context;
    }

    public static class GameObjectUtility
    {
        public static void SetParentAndAlign(GameObject child, GameObject parent) { }
    }

    public static class Undo
    {
        public static void RegisterCreatedObjectUndo(UnityEngine.Object objectToUndo, string name) { }
    }

    public static class Selection
    {
        public static UnityEngine.Object activeObject { get; set; }
    }

    public static class EditorUtility
    {
        public static void SetDirty(UnityEngine.Object target) { }
    }

    public static class AssetDatabase
    {
        public static string[] FindAssets(string filter) { return new string[0]; }
        public static string GUIDToAssetPath(string guid) { return ""; }
        public static T LoadAssetAtPath<T>(string assetPath) where T : UnityEngine.Object { return null; }
        public static bool IsValidFolder(string path) { return false; }
        public static string CreateFolder(string parentFolder, string newFolderName) { return ""; }
        public static void CreateAsset(UnityEngine.Object asset, string path) { }
        public static void SaveAssets() { }
        public static void SaveAssetIfDirty(UnityEngine.Object obj) { }
        public static string GetAssetPath(UnityEngine.Object assetObject) { return ""; }
    }

    public enum SettingsScope { User, Project }

    public class SettingsProvider
    {
        public SettingsProvider(string path, SettingsScope scopes, System.Collections.Generic.IEnumerable<string> keywords = null) { }
        public string label { get; set; }
        public Action<string> guiHandler { get; set; }
        public System.Collections.Generic.IEnumerable<string> keywords { get; set; }
    }

    [AttributeUsage(AttributeTargets.Method)]
    public sealed class SettingsProviderAttribute : Attribute { }

    public static class SettingsService
    {
        public static EditorWindow OpenProjectSettings(string settingsPath = null) { return null; }
    }

    public class SerializedObject : IDisposable
    {
        public SerializedObject(UnityEngine.Object obj) { }
        public SerializedProperty FindProperty(string propertyPath) { return null; }
        public bool ApplyModifiedProperties() { return false; }
        public void Update() { }
        public void Dispose() { }
    }

    public class SerializedProperty
    {
        public SerializedProperty FindPropertyRelative(string relativePropertyPath) { return null; }
        public bool boolValue { get; set; }
        public int intValue { get; set; }
        public string stringValue { get; set; }
    }

    [Flags]
    public enum EnterPlayModeOptions { None = 0, DisableDomainReload = 1, DisableSceneReload = 2 }

    public static class EditorSettings
    {
        public static bool enterPlayModeOptionsEnabled { get; set; }
        public static EnterPlayModeOptions enterPlayModeOptions { get; set; }
    }

    [Flags]
    public enum BuildOptions { None = 0, Development = 1 }

    public enum BuildTargetGroup { Unknown = 0, Standalone = 1 }

    public static class PlayerSettings
    {
        public static string GetScriptingDefineSymbols(UnityEditor.Build.NamedBuildTarget buildTarget) { return ""; }
        public static UnityEngine.Object[] GetPreloadedAssets() { return new UnityEngine.Object[0]; }
        public static void SetPreloadedAssets(UnityEngine.Object[] assets) { }
    }

    public enum PlayModeStateChange
    {
        EnteredEditMode,
        ExitingEditMode,
        EnteredPlayMode,
        ExitingPlayMode,
    }

    public static class EditorApplication
    {
        public static event Action<PlayModeStateChange> playModeStateChanged { add { } remove { } }
        public static bool isPlaying { get { return false; } set { } }
        public static bool isPlayingOrWillChangePlaymode { get { return false; } }
    }

    public static class AssemblyReloadEvents
    {
        public delegate void AssemblyReloadCallback();
        public static event AssemblyReloadCallback beforeAssemblyReload { add { } remove { } }
        public static event AssemblyReloadCallback afterAssemblyReload { add { } remove { } }
    }

    public class ScriptableSingleton<T> : ScriptableObject where T : ScriptableObject
    {
        public static T instance { get { return null; } }
        protected void Save(bool saveAsText) { }
        protected static string GetFilePath() { return ""; }
    }

    [AttributeUsage(AttributeTargets.Class)]
    public class FilePathAttribute : Attribute
    {
        public enum Location
        {
            PreferencesFolder,
            ProjectFolder,
        }

        public FilePathAttribute(string relativePath, Location location) { }
    }

    public static class SessionState
    {
        public static int GetInt(string key, int defaultValue) { return defaultValue; }
        public static void SetInt(string key, int value) { }
    }

    public enum MessageType { None, Info, Warning, Error }

    public static class EditorStyles
    {
        public static GUIStyle boldLabel { get { return null; } }
        public static GUIStyle wordWrappedLabel { get { return null; } }
        public static GUIStyle miniLabel { get { return null; } }
    }

    public static class EditorGUILayout
    {
        public static void LabelField(string label, params GUILayoutOption[] options) { }
        public static void LabelField(string label, GUIStyle style, params GUILayoutOption[] options) { }
        public static void LabelField(string label, string label2, params GUILayoutOption[] options) { }
        public static string TextField(string label, string text, params GUILayoutOption[] options) { return text; }
        public static bool Toggle(string label, bool value, params GUILayoutOption[] options) { return value; }
        public static int IntSlider(string label, int value, int leftValue, int rightValue, params GUILayoutOption[] options) { return value; }
        public static int IntField(string label, int value, params GUILayoutOption[] options) { return value; }
        public static void HelpBox(string message, MessageType type) { }
        public static bool PropertyField(SerializedProperty property, GUIContent label, params GUILayoutOption[] options) { return false; }
        public static void DelayedTextField(SerializedProperty property, GUIContent label, params GUILayoutOption[] options) { }
        public static void DelayedIntField(SerializedProperty property, GUIContent label, params GUILayoutOption[] options) { }
        public static string TagField(string label, string tag, params GUILayoutOption[] options) { return tag; }
        public static void Space() { }
    }

    public sealed class EditorGUI
    {
        public static void BeginChangeCheck() { }
        public static bool EndChangeCheck() { return false; }

        public struct DisabledScope : IDisposable
        {
            public DisabledScope(bool disabled) { }
            public void Dispose() { }
        }
    }
}

namespace UnityEditorInternal
{
    public static class InternalEditorUtility
    {
        public static string[] tags { get { return new string[0]; } }
    }
}

namespace UnityEditor.Build
{
    public interface IOrderedCallback
    {
        int callbackOrder { get; }
    }

    public interface IPreprocessBuildWithReport : IOrderedCallback
    {
        void OnPreprocessBuild(UnityEditor.Build.Reporting.BuildReport report);
    }

    public interface IPostprocessBuildWithReport : IOrderedCallback
    {
        void OnPostprocessBuild(UnityEditor.Build.Reporting.BuildReport report);
    }

    public struct NamedBuildTarget
    {
        public static NamedBuildTarget FromBuildTargetGroup(BuildTargetGroup buildTargetGroup) { return new NamedBuildTarget(); }
    }
}

namespace UnityEditor.Build.Reporting
{
    public struct BuildSummary
    {
        public BuildOptions options { get { return BuildOptions.None; } }
        public BuildTargetGroup platformGroup { get { return BuildTargetGroup.Unknown; } }
    }

    public sealed class BuildReport : UnityEngine.Object
    {
        public BuildSummary summary { get { return new BuildSummary(); } }
    }
}
