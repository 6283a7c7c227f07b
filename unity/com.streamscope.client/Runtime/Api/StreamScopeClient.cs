using StreamScopeApi;
using UnityEngine;

/// <summary>
/// Samples the built-in and registered metrics on the main thread (the network work happens
/// on a background task). Add it with GameObject &gt; StreamScope &gt; Add telemetry, or let
/// Auto start create one. It uses the project's settings (Project Settings &gt; StreamScope).
/// In a build without the StreamScope runtime (a release build without STREAMSCOPE_ENABLED)
/// it disables itself in Awake and does nothing.
/// </summary>
[AddComponentMenu("StreamScope/StreamScope Client")]
[DisallowMultipleComponent]
[DefaultExecutionOrder(-10000)]
public sealed class StreamScopeClient : MonoBehaviour
{
    [Tooltip("Keep this object (and the session) alive across scene loads.")]
    [SerializeField]
    bool keepAcrossScenes = true;

    /// <summary>Keep this object (and the session) alive across scene loads.</summary>
    public bool KeepAcrossScenes
    {
        get { return keepAcrossScenes; }
        set { keepAcrossScenes = value; }
    }

    void Awake()
    {
        IStreamScopeBackend b = StreamScope.Backend;
        if (b == null)
        {
            enabled = false;
            return;
        }
        b.HostAwake(this);
    }

    void OnEnable()
    {
        IStreamScopeBackend b = StreamScope.Backend;
        if (b != null) b.HostEnable(this);
    }

    void Update()
    {
        IStreamScopeBackend b = StreamScope.Backend;
        if (b != null) b.HostUpdate(this);
    }

    void OnDisable()
    {
        IStreamScopeBackend b = StreamScope.Backend;
        if (b != null) b.HostDisable(this);
    }

    void OnDestroy()
    {
        IStreamScopeBackend b = StreamScope.Backend;
        if (b != null) b.HostDestroy(this);
    }
}
