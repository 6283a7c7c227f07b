using System.Collections;
using NUnit.Framework;
using StreamScopeCore;
using StreamScopeUnity;
using UnityEngine;
using UnityEngine.TestTools;
using UnityEngine.TestTools.Constraints;
using Is = UnityEngine.TestTools.Constraints.Is;

namespace StreamScopeTests
{
    /// <summary>Play-mode tests: profiler counters, and allocation-free Send and per-frame sampling.</summary>
    public sealed class StreamScopeRuntimeTests
    {
        TestWebSocketServer _server;

        /// <summary>A running session against a local test server, with every built-in metric on.</summary>
        [SetUp]
        public void SetUp()
        {
            StreamScopeRuntime.Shutdown();
            StreamScopeRuntime.Install();
            _server = new TestWebSocketServer(false);
            var settings = new StreamScopeSettings { address = _server.Url, autoStart = false, sampleRateHz = 120, historySize = 64 };
            Assert.IsTrue(StreamScopeRuntime.Begin(settings), "Begin");
        }

        /// <summary>Ends the session and the server.</summary>
        [TearDown]
        public void TearDown()
        {
            StreamScopeRuntime.Shutdown();
            _server.Dispose();
        }

        /// <summary>Every profiler counter the built-in metrics read has a valid recorder (editor and development players).</summary>
        [UnityTest]
        public IEnumerator ProfilerRecorderCountersAreValid()
        {
            var metrics = new BuiltInMetrics(new StreamScopeSettings());
            for (int i = 0; i < 5; i++) yield return null;
            foreach (string name in BuiltInMetrics.CounterNames)
                Assert.IsTrue(metrics.IsRecorderValid(name), "ProfilerRecorder '" + name + "' is not valid");
            metrics.Dispose();
        }

        /// <summary>StreamScope.Send allocates nothing once warm.</summary>
        [UnityTest]
        public IEnumerator SendDoesNotAllocate()
        {
            yield return new WaitUntil(() => StreamScopeRuntime.GetStats().State == ClientState.Connected);
            for (int i = 0; i < 200; i++) StreamScope.Send("alloc_test", i);  // fills the history ring
            Assert.That(() => { StreamScope.Send("alloc_test", 1.5); }, Is.Not.AllocatingGCMemory());
            Assert.That(() => { StreamScope.SendVector("alloc_vector", Vector3.zero); }, Is.Not.AllocatingGCMemory());
        }

        /// <summary>The per-frame update (built-in metrics and registered getters sampled) allocates nothing once warm.</summary>
        [UnityTest]
        public IEnumerator PerFrameUpdateDoesNotAllocate()
        {
            float health = 100f;
            StreamScope.Register("health", () => health);
            StreamScope.RegisterVector("position", () => Vector3.one);
            yield return new WaitUntil(() => StreamScopeRuntime.GetStats().State == ClientState.Connected);
            for (int i = 0; i < 100; i++) StreamScopeRuntime.UpdateForTests(true);  // warm: rings at capacity
            Assert.That(() => { StreamScopeRuntime.UpdateForTests(true); }, Is.Not.AllocatingGCMemory());
            Assert.That(() => { StreamScope.Register("health", () => 1.0); }, Is.Not.AllocatingGCMemory());
        }
    }
}
