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
