using System.Collections;
using System.Diagnostics;
using NUnit.Framework;
using StreamScopeCore;
using StreamScopeEditor;
using StreamScopeUnity;
using UnityEditor;
using UnityEngine;
using UnityEngine.TestTools;

namespace StreamScopeTests
{
    /// <summary>Edit-mode tests that enter and leave play mode: shutdown bounds and domain reload off.</summary>
    public sealed class StreamScopeEditorTests
    {
        bool _optionsEnabled;
        EnterPlayModeOptions _options;

        /// <summary>Remembers the Enter Play Mode options the tests change.</summary>
        [SetUp]
        public void SetUp()
        {
            _optionsEnabled = EditorSettings.enterPlayModeOptionsEnabled;
            _options = EditorSettings.enterPlayModeOptions;
        }

        /// <summary>Restores the project's settings provider and play mode options.</summary>
        [TearDown]
        public void TearDown()
        {
            StreamScopeRuntime.SettingsProvider = StreamScopeSettingsAsset.Copy;
            EditorSettings.enterPlayModeOptionsEnabled = _optionsEnabled;
            EditorSettings.enterPlayModeOptions = _options;
        }

        static void UseSettings(string url)
        {
            StreamScopeRuntime.SettingsProvider = () => new StreamScopeSettings
            {
                address = url, autoStart = true, connectTimeoutMs = 10000, shutdownTimeoutMs = 500,
            };
        }

        /// <summary>Leaving play mode while the connect hangs (the app accepts TCP, never answers) takes under 600 ms.</summary>
        [UnityTest]
        public IEnumerator ExitingPlayModeWithAHangingConnectIsFast()
        {
            using (var silent = new TestWebSocketServer(true))
            {
                UseSettings(silent.Url);
                yield return new EnterPlayMode();
                for (int i = 0; i < 10; i++) yield return null;
                Assert.AreEqual(ClientState.Connecting, StreamScopeRuntime.GetStats().State, "connect should hang");
                var clock = Stopwatch.StartNew();
                yield return new ExitPlayMode();
                clock.Stop();
                Assert.Less(clock.ElapsedMilliseconds, 600, "leaving play mode took " + clock.ElapsedMilliseconds + " ms");
                Assert.IsFalse(StreamScopeRuntime.IsRunning, "session still running");
            }
        }

        /// <summary>
        /// With domain reload disabled, statics survive play sessions: the reset at the start of
        /// the next one must forget registrations, and the session that ended must have said bye.
        /// </summary>
        [UnityTest]
        public IEnumerator DomainReloadOffResetsStaticsAndSaysBye()
        {
            EditorSettings.enterPlayModeOptionsEnabled = true;
            EditorSettings.enterPlayModeOptions = EnterPlayModeOptions.DisableDomainReload | EnterPlayModeOptions.DisableSceneReload;
            using (var server = new TestWebSocketServer(false))
            {
                UseSettings(server.Url);
                yield return new EnterPlayMode(false);
                StreamScope.Register("survivor", () => 1.0);
                Assert.AreEqual(1, StreamScopeRuntime.RegisteredCount, "registered");
                yield return new WaitUntil(() => StreamScopeRuntime.GetStats().State == ClientState.Connected);
                yield return new ExitPlayMode();
                Assert.IsTrue(server.Received("{\"type\":\"bye\"}"), "no bye when play mode ended: " + string.Join(" | ", server.Texts));

                yield return new EnterPlayMode(false);
                Assert.AreEqual(0, StreamScopeRuntime.RegisteredCount, "registrations survived the play session");
                Assert.IsTrue(StreamScopeRuntime.IsRunning, "auto start in the second session");
                yield return new ExitPlayMode();
            }
        }

        /// <summary>The build hook's define check.</summary>
        [Test]
        public void EnableDefineIsRecognised()
        {
            Assert.IsTrue(StreamScopeBuildSettings.HasDefine("FOO; STREAMSCOPE_ENABLED;BAR", StreamScope.EnableDefine), "listed");
            Assert.IsFalse(StreamScopeBuildSettings.HasDefine("STREAMSCOPE_ENABLED_NOT", StreamScope.EnableDefine), "prefix only");
        }
    }
}
