// Minimal, signature-only stand-in for the parts of UnityEngine / Unity.Profiling that
// StreamScope's Runtime/Unity code uses, so `mcs -langversion:7.2` can type-check it.
// Signatures follow the Unity 2021.3 scripting reference. Bodies do nothing: this only
// catches syntax and type errors, not behaviour. Add members here when the package uses more.
using System;

namespace UnityEngine
{
    public class Object
    {
        public string name { get; set; }
        public HideFlags hideFlags { get; set; }
        public static void Destroy(Object obj) { }
        public static void DontDestroyOnLoad(Object target) { }
        public static T FindObjectOfType<T>() where T : Object { return null; }
        public static T FindFirstObjectByType<T>() where T : Object { return null; }
        public static void DestroyImmediate(Object obj) { }
        public static implicit operator bool(Object exists) { return !ReferenceEquals(exists, null); }
    }

    public class Component : Object
    {
        public GameObject gameObject { get { return null; } }
        public Transform transform { get { return null; } }
    }

    public class Behaviour : Component
    {
        public bool enabled { get; set; }
        public bool isActiveAndEnabled { get { return true; } }
    }

    public class MonoBehaviour : Behaviour
    {
        public T GetComponent<T>() { return default(T); }
    }

    public class ScriptableObject : Object
    {
        public static T CreateInstance<T>() where T : ScriptableObject { return null; }
    }

    public sealed class GameObject : Object
    {
        public GameObject() { }
        public GameObject(string name) { }
        public Transform transform { get { return null; } }
        public bool activeInHierarchy { get { return true; } }
        public T AddComponent<T>() where T : Component { return null; }
        public T GetComponent<T>() { return default(T); }
        public string tag { get; set; }
        public static GameObject FindWithTag(string tag) { return null; }
    }

    public class UnityException : Exception
    {
        public UnityException() { }
        public UnityException(string message) : base(message) { }
    }

    public class Rigidbody : Component
    {
        public Vector3 velocity { get; set; }
        public Vector3 linearVelocity { get; set; }
    }

    public class YieldInstruction { }

    public sealed class WaitForSeconds : YieldInstruction
    {
        public WaitForSeconds(float seconds) { }
    }

    public sealed class WaitForEndOfFrame : YieldInstruction { }

    public class CustomYieldInstruction : System.Collections.IEnumerator
    {
        public virtual bool keepWaiting { get { return false; } }
        public object Current { get { return null; } }
        public bool MoveNext() { return keepWaiting; }
        public void Reset() { }
    }

    public sealed class WaitUntil : CustomYieldInstruction
    {
        public WaitUntil(Func<bool> predicate) { }
    }

    public class Transform : Component
    {
        public Vector3 position { get; set; }
        public Transform parent { get; set; }
    }

    public struct Vector3
    {
        public float x;
        public float y;
        public float z;
        public Vector3(float x, float y, float z) { this.x = x; this.y = y; this.z = z; }
        public static Vector3 zero { get { return new Vector3(); } }
        public static Vector3 one { get { return new Vector3(1, 1, 1); } }
    }

    public struct Vector2
    {
        public float x;
        public float y;
        public Vector2(float x, float y) { this.x = x; this.y = y; }
    }

    public static class Mathf
    {
        public static float Sin(float f) { return 0f; }
        public static float Cos(float f) { return 0f; }
        public static float Max(float a, float b) { return 0f; }
        public static int Max(int a, int b) { return 0; }
        public static float Clamp(float value, float min, float max) { return 0f; }
        public static int Clamp(int value, int min, int max) { return 0; }
    }

    public static class Time
    {
        public static double realtimeSinceStartupAsDouble { get { return 0; } }
        public static float realtimeSinceStartup { get { return 0; } }
        public static float unscaledDeltaTime { get { return 0; } }
        public static float deltaTime { get { return 0; } }
        public static float time { get { return 0; } }
        public static int frameCount { get { return 0; } }
    }

    public static class Random
    {
        public static float value { get { return 0f; } }
        public static float Range(float minInclusive, float maxInclusive) { return 0f; }
        public static int Range(int minInclusive, int maxExclusive) { return 0; }
    }

    public enum RuntimePlatform { WindowsEditor = 7, OSXEditor = 0, LinuxEditor = 16, WebGLPlayer = 17 }

    public static class Application
    {
        public static event Action quitting { add { } remove { } }
        public static string productName { get { return ""; } }
        public static bool isPlaying { get { return false; } }
        public static bool isEditor { get { return false; } }
        public static RuntimePlatform platform { get { return RuntimePlatform.LinuxEditor; } }
    }

    public static class Debug
    {
        public static void Log(object message) { }
        public static void LogWarning(object message) { }
        public static void LogError(object message) { }
    }

    [Flags]
    public enum HideFlags
    {
        None = 0,
        HideInHierarchy = 1,
        HideInInspector = 2,
        DontSaveInEditor = 4,
        NotEditable = 8,
        DontSaveInBuild = 16,
        DontUnloadUnusedAsset = 32,
        DontSave = 52,
        HideAndDontSave = 61,
    }

    public enum RuntimeInitializeLoadType
    {
        AfterSceneLoad = 0,
        BeforeSceneLoad = 1,
        AfterAssembliesLoaded = 2,
        BeforeSplashScreen = 3,
        SubsystemRegistration = 4,
    }

    [AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
    public class RuntimeInitializeOnLoadMethodAttribute : Attribute
    {
        public RuntimeInitializeOnLoadMethodAttribute() { }
        public RuntimeInitializeOnLoadMethodAttribute(RuntimeInitializeLoadType loadType) { }
    }

    [AttributeUsage(AttributeTargets.Field)]
    public sealed class SerializeField : Attribute { }

    [AttributeUsage(AttributeTargets.Field, AllowMultiple = true)]
    public class TooltipAttribute : Attribute
    {
        public TooltipAttribute(string tooltip) { }
    }

    [AttributeUsage(AttributeTargets.Field, AllowMultiple = true)]
    public class HeaderAttribute : Attribute
    {
        public HeaderAttribute(string header) { }
    }

    [AttributeUsage(AttributeTargets.Field)]
    public sealed class RangeAttribute : Attribute
    {
        public RangeAttribute(float min, float max) { }
    }

    [AttributeUsage(AttributeTargets.Class)]
    public sealed class AddComponentMenu : Attribute
    {
        public AddComponentMenu(string menuName) { }
    }

    [AttributeUsage(AttributeTargets.Class)]
    public sealed class DisallowMultipleComponent : Attribute { }

    [AttributeUsage(AttributeTargets.Class)]
    public class DefaultExecutionOrder : Attribute
    {
        public DefaultExecutionOrder(int order) { }
    }

    public class GUIContent
    {
        public GUIContent() { }
        public GUIContent(string text) { }
        public GUIContent(string text, string tooltip) { }
    }

    public class GUIStyle { }

    public sealed class GUILayoutOption { }

    public static class GUILayout
    {
        public static bool Button(string text, params GUILayoutOption[] options) { return false; }
        public static void Label(string text, params GUILayoutOption[] options) { }
        public static void FlexibleSpace() { }
        public static void BeginHorizontal(params GUILayoutOption[] options) { }
        public static void EndHorizontal() { }
    }
}

namespace UnityEngine.Profiling
{
    public static class Profiler
    {
        public static long GetTotalAllocatedMemoryLong() { return 0; }
        public static long GetTotalReservedMemoryLong() { return 0; }
    }
}

namespace Unity.Profiling
{
    public struct ProfilerCategory
    {
        public static ProfilerCategory Render { get { return new ProfilerCategory(); } }
        public static ProfilerCategory Scripts { get { return new ProfilerCategory(); } }
        public static ProfilerCategory Memory { get { return new ProfilerCategory(); } }
        public static ProfilerCategory Internal { get { return new ProfilerCategory(); } }
    }

    [Flags]
    public enum ProfilerRecorderOptions
    {
        None = 0,
        StartImmediately = 1,
        KeepAliveDuringDomainReload = 2,
        CollectOnlyOnCurrentThread = 4,
        WrapAroundWhenCapacityReached = 8,
        SumAllSamplesInFrame = 16,
        GpuRecorder = 64,
        Default = 24,
    }

    public struct ProfilerRecorder : IDisposable
    {
        public static ProfilerRecorder StartNew(ProfilerCategory category, string statName, int capacity = 1,
            ProfilerRecorderOptions options = ProfilerRecorderOptions.Default)
        {
            return new ProfilerRecorder();
        }

        public bool Valid { get { return false; } }
        public bool IsRunning { get { return false; } }
        public long CurrentValue { get { return 0; } }
        public double CurrentValueAsDouble { get { return 0; } }
        public long LastValue { get { return 0; } }
        public double LastValueAsDouble { get { return 0; } }
        public int Capacity { get { return 0; } }
        public int Count { get { return 0; } }
        public void Start() { }
        public void Stop() { }
        public void Reset() { }
        public void Dispose() { }
    }
}
