using UnityEngine;

namespace StreamScopeSamples
{
    /// <summary>
    /// StreamScope basic sample: an ordinary component. Add it to any GameObject (Add Component
    /// &gt; StreamScope Samples &gt; Basic Telemetry), open the StreamScope app and press Play.
    /// It plays a tiny fake game whose state is streamed:
    ///   player_health, score, active_enemies      registered getters, sampled at the set rate
    ///   player_position_x / player_position_z     via StreamScope.TrackPlayer
    ///   damage_taken                              one-off values with StreamScope.Send
    ///   player_velocity.x/.y/.z                   StreamScope.SendVector
    /// Every StreamScope call here is compiled out of release builds (see the package README).
    /// </summary>
    [AddComponentMenu("StreamScope Samples/Basic Telemetry")]
    public sealed class BasicTelemetry : MonoBehaviour
    {
        float _health = 100f;
        int _score;
        int _enemies = 3;
        float _nextHit = 1f;
        Vector3 _lastPosition;
        Rigidbody _body;

        void Start()
        {
            // Auto start (Project Settings > StreamScope) connects by itself; this is only
            // needed when it is off, and does nothing when a session is already running.
            StreamScope.Begin();

            StreamScope.Register("player_health", () => _health);
            StreamScope.Register("score", () => _score);
            StreamScope.Register("active_enemies", () => _enemies);
            StreamScope.TrackPlayer(transform);
            _body = GetComponent<Rigidbody>();
            _lastPosition = transform.position;
        }

        void Update()
        {
            // Walk in a circle.
            float t = Time.time;
            transform.position = new Vector3(Mathf.Cos(t * 0.5f) * 10f, 0f, Mathf.Sin(t * 0.5f) * 10f);
            StreamScope.SendVector("player_velocity", Velocity());
            _lastPosition = transform.position;

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

        Vector3 Velocity()
        {
            if (_body != null)
            {
#if STREAMSCOPE_SAMPLE_UNITY_6_OR_NEWER
                return _body.linearVelocity;  // Rigidbody.velocity is obsolete in Unity 6
#else
                return _body.velocity;
#endif
            }
            float dt = Time.deltaTime;
            if (dt <= 0f) return Vector3.zero;
            return new Vector3((transform.position.x - _lastPosition.x) / dt, 0f, (transform.position.z - _lastPosition.z) / dt);
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
