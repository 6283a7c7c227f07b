using UnityEngine;

namespace StreamScopeUnity
{
    /// <summary>
    /// The project's StreamScope settings as an asset (Assets/StreamScope/StreamScopeSettings.asset,
    /// edited in Project Settings &gt; StreamScope). The editor adds it to the build's preloaded
    /// assets for development builds and builds defining STREAMSCOPE_ENABLED only, so a release
    /// build never carries the address or the token; a player loads it at startup.
    /// </summary>
    public sealed class StreamScopeRuntimeSettings : ScriptableObject
    {
        [SerializeField]
        StreamScopeSettings settings = new StreamScopeSettings();

        /// <summary>The settings asset loaded in this player (null when the build carries none).</summary>
        public static StreamScopeRuntimeSettings Current { get; private set; }

        /// <summary>The settings (never null).</summary>
        public StreamScopeSettings Settings
        {
            get
            {
                if (settings == null) settings = new StreamScopeSettings();
                return settings;
            }
        }

        void OnEnable()
        {
            // Preloaded assets are loaded (and enabled) when the player starts.
            if (Current == null) Current = this;
        }

        void OnDisable()
        {
            if (Current == this) Current = null;
        }
    }
}
