// Game code as a team would write it against the StreamScope facade (it lands in their
// Assembly-CSharp). tests/unity/test_unity_mcs.py compiles it with and without the enabling
// defines and checks, by reading the IL, that without them nothing calls into StreamScope.
using UnityEngine;

public sealed class GameCode : MonoBehaviour
{
    float _health = 100f;
    int _score;

    void Start()
    {
        StreamScope.Begin();
        StreamScope.Register("health", () => _health);
        StreamScope.Register("score", () => _score);
        StreamScope.Register("alive", () => _health > 0f);
        StreamScope.Register("health_d", () => (double)_health);
        StreamScope.RegisterVector("where", () => transform.position);
        StreamScope.TrackPlayer(transform);
    }

    void Update()
    {
        _score++;
        StreamScope.Send("frame_score", _score);
        StreamScope.Send("hurt", _health < 50f);
        StreamScope.SendVector("velocity", Vector3.zero);
        StreamScope.SendAt("late", 1.0, 2.0);
    }

    void OnDestroy()
    {
        StreamScope.Unregister("health");
        StreamScope.Shutdown();
    }
}
