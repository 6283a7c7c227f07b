using UnityEngine;

namespace StreamScopeSamples
{
    /// <summary>
    /// StreamScope basic sample. Needs no scene setup: it spawns itself when play mode starts
    /// (set SpawnAutomatically to false, or delete this file, to stop that) and plays a tiny
    /// fake game whose state is streamed to the StreamScope app:
    ///   player_health, score, active_enemies      registered getters, sampled at the set rate
    ///   player_position_x / player_position_z     via StreamScope.TrackPlayer
    ///   damage_taken                              one-off values with StreamScope.Send
    ///   player_velocity.x/.y/.z                   StreamScope.SendVector
    /// Open the StreamScope app, press Play, and watch the streams appear.
    /// </summary>
    public sealed class BasicTelemetry : MonoBehaviour
    {
        public static bool SpawnAutomatically = true;

        float _health = 100f;
        int _score;
        int _enemies = 3;
        float _nextHit = 1f;
        Vector3 _lastPosition;

        [RuntimeInitializeOnLoadMethod(RuntimeInitializeLoadType.AfterSceneLoad)]
        static void Spawn()
        {
            if (!SpawnAutomatically || FindObjectOfType<BasicTelemetry>() != null) return;
            var go = new GameObject("StreamScope Basic Telemetry");
            go.AddComponent<BasicTelemetry>();
        }

        void Start()
        {
            // Started automatically in the editor (Window > StreamScope > Auto start).
            // In a player build, start it yourself:
            if (!StreamScope.IsRunning && !Application.isEditor)
                StreamScope.Begin(new StreamScopeUnity.StreamScopeSettings { address = "ws://127.0.0.1:8765" });

            StreamScope.Register("player_health", () => _health);
            StreamScope.Register("score", () => _score);
            StreamScope.Register("active_enemies", () => _enemies);
            StreamScope.TrackPlayer(transform);
            _lastPosition = transform.position;
        }

        void Update()
        {
            // Walk in a circle.
            float t = Time.time;
            transform.position = new Vector3(Mathf.Cos(t * 0.5f) * 10f, 0f, Mathf.Sin(t * 0.5f) * 10f);
            Vector3 velocity = Time.deltaTime > 0f
                ? new Vector3((transform.position.x - _lastPosition.x) / Time.deltaTime, 0f,
                    (transform.position.z - _lastPosition.z) / Time.deltaTime)
                : Vector3.zero;
            _lastPosition = transform.position;
            StreamScope.SendVector("player_velocity", velocity);

            _score += Random.Range(0, 3);
            if (t >= _nextHit)
            {
                _nextHit = t + Random.Range(0.5f, 2f);
                float damage = Random.Range(1f, 15f);
                _health = Mathf.Max(0f, _health - damage);
                StreamScope.Send("damage_taken", damage);
                _enemies = Mathf.Clamp(_enemies + Random.Range(-1, 3), 0, 20);
                if (_health <= 0f) _health = 100f;  // respawn
            }
        }

        void OnDestroy()
        {
            StreamScope.Unregister("player_health");
            StreamScope.Unregister("score");
            StreamScope.Unregister("active_enemies");
            StreamScope.Unregister("player_position_x");
            StreamScope.Unregister("player_position_z");
        }
    }
}
