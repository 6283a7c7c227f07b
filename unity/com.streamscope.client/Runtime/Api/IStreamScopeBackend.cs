using System;
using UnityEngine;

namespace StreamScopeApi
{
    /// <summary>
    /// What the StreamScope facade forwards to. Implemented by the StreamScope.Unity runtime,
    /// which is compiled only in the editor, development builds and builds defining
    /// STREAMSCOPE_ENABLED; the facade never references it, so a release build carries none of it.
    /// Not meant to be implemented by games.
    /// </summary>
    public interface IStreamScopeBackend
    {
        /// <summary>Adds or replaces a sampled metric; exactly one getter is non-null.</summary>
        void Register(string name, Func<double> asDouble, Func<float> asFloat, Func<int> asInt, Func<bool> asBool, Func<Vector3> asVector);

        /// <summary>Removes a sampled metric.</summary>
        void Unregister(string name);

        /// <summary>Samples player_position_x / player_position_z of this transform.</summary>
        void TrackPlayer(Transform player);

        /// <summary>One value stamped now (main thread).</summary>
        void Send(string name, double value);

        /// <summary>name.x, name.y, name.z stamped now (main thread).</summary>
        void SendVector(string name, Vector3 value);

        /// <summary>One value with an explicit time (any thread).</summary>
        void SendAt(string name, double time, double value);

        /// <summary>Starts a session with the project's settings.</summary>
        void Begin();

        /// <summary>Ends the running session.</summary>
        void Shutdown();

        /// <summary>A StreamScopeClient component woke up.</summary>
        void HostAwake(StreamScopeClient host);

        /// <summary>A StreamScopeClient component was enabled.</summary>
        void HostEnable(StreamScopeClient host);

        /// <summary>Once per frame from the StreamScopeClient component doing the sampling.</summary>
        void HostUpdate(StreamScopeClient host);

        /// <summary>A StreamScopeClient component was disabled.</summary>
        void HostDisable(StreamScopeClient host);

        /// <summary>A StreamScopeClient component is being destroyed.</summary>
        void HostDestroy(StreamScopeClient host);
    }
}
