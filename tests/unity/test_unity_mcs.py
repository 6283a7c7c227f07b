"""The Unity client package (unity/com.streamscope.client), compiled with Mono's mcs.

What this covers:
- Runtime/Core (pure C#) is compiled with ``mcs -langversion:7.2`` together with the console
  harness (tests/unity/harness/Harness.cs) and run under ``mono`` against a WebSocket server:
  exact values and order, reconnect with a bounded queue, stop_streaming, historical data,
  a German culture, NaN -> null.
- Runtime/Unity, Editor and the sample are compiled against tests/unity/stubs, a signature-only
  stand-in for UnityEngine/UnityEditor. That catches syntax and type errors only: nothing of
  Unity's behaviour is exercised here.

Every networked test runs twice: against the app's real ingest server (``app``: IngestServer +
Store, samples read back from the store) and against a minimal recording server (``fake``: checks
the raw frames, e.g. hello first, batch form, strict JSON).

Without mcs/mono the tests skip, except under CI=true, where they fail (CI must not skip them).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import math
import os
import re
import shutil
import socket
import struct
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.protocol import State

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PKG = ROOT / "unity" / "com.streamscope.client"
IN_CI = os.environ.get("CI") == "true"
LANGVERSION = "-langversion:7.2"  # the newest mcs accepts; Unity compiles a superset
TEST_TIMEOUT = 120.0  # whole-test cap, seconds
STEP_TIMEOUT = 25.0  # one expected line / one condition, seconds

# Same literals as Harness.BetaValues.
BETA_VALUES = [
    0.0, 1e-300, 5e-324, 1.7976931348623157e308, -123.456, 6.02214076e23, 0.1, 0.2,
    0.30000000000000004, 3.5, 1234567.891, -1e-7, 9007199254740992.0, 0.84551240822557006,
    2.5e-8, 100.0, -42.0,
]  # fmt: skip
CULTURE_VALUES = [3.5, -0.25, 1234.5678, 1e-5, 6.02214076e23]


# ------------------------------------------------------------------ toolchain


def _require_mono() -> tuple[str, str]:
    mcs, mono = shutil.which("mcs"), shutil.which("mono")
    missing = [name for name, path in (("mcs", mcs), ("mono", mono)) if path is None]
    if missing:
        reason = (
            f"{' and '.join(missing)} not found; install Mono's C# compiler "
            "(Debian/Ubuntu: apt-get install -y mono-mcs) to build and test the Unity client"
        )
        if IN_CI:
            pytest.fail(f"{reason}. CI=true: these tests must run in CI, not skip.")
        pytest.skip(reason)
    return mcs, mono


def _mcs(args: list[str], what: str) -> None:
    mcs, _ = _require_mono()
    proc = subprocess.run(
        [mcs, LANGVERSION, *args], capture_output=True, text=True, timeout=300, check=False
    )
    if proc.returncode != 0:
        pytest.fail(
            f"mcs failed for {what} (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )


def _sources(folder: Path) -> list[str]:
    files = sorted(str(p) for p in folder.rglob("*.cs"))
    assert files, f"no C# sources under {folder}"
    return files


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _require_mono()
    return tmp_path_factory.mktemp("unity-build")


@pytest.fixture(scope="session")
def core_dll(build_dir: Path) -> Path:
    out = build_dir / "StreamScope.Core.dll"
    # noEngineReferences: Core is compiled with nothing but the base class library.
    _mcs(
        ["-target:library", "-warnaserror", f"-out:{out}", *_sources(PKG / "Runtime" / "Core")],
        "Runtime/Core",
    )
    return out


@pytest.fixture(scope="session")
def harness_exe(build_dir: Path, core_dll: Path) -> Path:
    out = build_dir / "Harness.exe"
    sources = [str(HERE / "harness" / "Harness.cs"), *_sources(PKG / "Runtime" / "Core")]
    _mcs([f"-out:{out}", *sources], "harness + Runtime/Core")
    return out


# ------------------------------------------------------------------ servers


def _decode_binary(data: bytes) -> dict[str, Any]:
    """One PROTOCOL.md binary frame as a dict; raises ValueError when malformed."""
    if data[:4] != b"SSB1":
        raise ValueError(f"binary frame without the SSB1 magic: {data[:16]!r}")
    (nlen,) = struct.unpack_from("<H", data, 4)
    name = data[6 : 6 + nlen].decode()
    (n,) = struct.unpack_from("<I", data, 6 + nlen)
    start = 10 + nlen
    if len(data) != start + 16 * n:
        raise ValueError(f"binary frame of {len(data)} bytes, expected {start + 16 * n}")
    t = struct.unpack_from(f"<{n}d", data, start)
    v = struct.unpack_from(f"<{n}d", data, start + 8 * n)
    return {"type": "binary", "stream": name, "t": list(t), "v": list(v)}


class FakeServer:
    """A minimal server that records every frame per connection: text frames parsed as strict
    JSON, binary frames decoded from the PROTOCOL.md layout."""

    kind = "fake"

    def __init__(self) -> None:
        self.port = 0
        self.connections: list[dict[str, Any]] = []
        self._server = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await serve(self._handle, "127.0.0.1", self.port, compression=None)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, ws: ServerConnection) -> None:
        conn: dict[str, Any] = {"ws": ws, "frames": [], "invalid": []}
        self.connections.append(conn)
        await ws.send(json.dumps({"type": "initial_configuration", "protocol": 1}))
        async for message in ws:
            try:
                if isinstance(message, bytes):
                    conn["frames"].append(_decode_binary(message))
                    continue
                conn["frames"].append(json.loads(message, parse_constant=_reject_constant))
            except ValueError as e:
                conn["invalid"].append(f"{e}: {message[:200]!r}")

    def _of(self, session: str) -> list[dict[str, Any]]:
        return [
            c for c in self.connections if c["frames"] and c["frames"][0].get("session") == session
        ]

    def samples(self, session: str, stream: str) -> list[tuple[float, float | None]]:
        out: list[tuple[float, float | None]] = []
        for conn in self._of(session):
            for frame in conn["frames"]:
                if frame.get("type") == "samples":
                    out += [(s["t"], s["v"]) for s in frame["samples"] if s["stream"] == stream]
                elif frame.get("type") == "binary" and frame["stream"] == stream:
                    out += [
                        (t, None if math.isnan(v) else v)
                        for t, v in zip(frame["t"], frame["v"], strict=True)
                    ]
                elif frame.get("type") == "historical_data_response" and frame["metric"] == stream:
                    out += list(zip(frame["t"], frame["v"], strict=True))
        return out

    async def command(self, session: str, message: dict) -> bool:
        for conn in self._of(session):
            if conn["ws"].state is State.OPEN:
                await conn["ws"].send(json.dumps(message))
                return True
        return False

    def check_session(self, session: str, connections: int) -> None:
        conns = self._of(session)
        assert len(conns) == connections, [c["frames"][:1] for c in self.connections]
        for conn in conns:
            assert not conn["invalid"], conn["invalid"]
            hello = conn["frames"][0]  # hello comes first on every connection
            assert hello == {
                "type": "hello",
                "session": session,
                "name": "HarnessGame",
                "client": "unity",
                "version": "0.1.0",
            }
            for frame in conn["frames"][1:]:
                assert frame.get("type") in {"binary", "historical_data_response", "bye"}, frame
        assert conns[-1]["frames"][-1] == {"type": "bye"}


def _reject_constant(name: str) -> float:
    raise ValueError(f"non-JSON constant {name}")


class AppServer:
    """The app's own ingest server and store (streamscope.ingest.server.IngestServer)."""

    kind = "app"

    token: str | None = None

    def __init__(self) -> None:
        from streamscope.core.store.store import Store
        from streamscope.ingest.guard import ServerSettings
        from streamscope.ingest.server import IngestServer

        self._server_cls = IngestServer
        self._settings = ServerSettings(token=self.token)
        self.store = Store()
        self.server = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.server = self._server_cls(
            self.store, host="127.0.0.1", port=self.port, settings=self._settings
        )
        await self.server.start()
        self.port = self.server.port

    async def stop(self) -> None:
        await self.server.stop()

    def _sessions(self, session: str) -> list:
        # A client reconnecting with the same hello id continues that session; one that
        # ended it on purpose (bye) and says hello again gets "<id>#n".
        return [s for s in self.store.sessions.values() if s.id.split("#")[0] == session]

    def samples(self, session: str, stream: str) -> list[tuple[float, float | None]]:
        out: list[tuple[float, float | None]] = []
        for s in self._sessions(session):
            st = s.streams.get(stream)
            if st is not None:
                out += [
                    (float(t), None if math.isnan(v) else float(v))
                    for t, v in zip(st.ring.t, st.ring.v, strict=True)
                ]
        return out

    async def command(self, session: str, message: dict) -> bool:
        for conn in list(self.server.connections):
            if conn.session_id and conn.session_id.split("#")[0] == session:
                return self.server.send_command(conn.session_id, message)
        return False

    def check_session(self, session: str, connections: int) -> None:
        # however many connections said hello with this id, the app shows one play session
        sessions = self._sessions(session)
        assert len(sessions) == 1, [s.id for s in self.store.sessions.values()]
        assert sessions[0].name == "HarnessGame — Play #1"
        for s in sessions:
            assert (s.product, s.client) == ("HarnessGame", "unity")
            assert not s.live, "the client said bye / closed, so the session has ended"


def _app_server_available() -> str | None:
    try:
        importlib.import_module("streamscope.core.store.store")
        importlib.import_module("streamscope.ingest.server")
    except ImportError as e:
        return str(e)
    return None


@pytest.fixture(params=["app", "fake"])
def server_cls(request: pytest.FixtureRequest) -> type:
    """Which server the harness talks to; add a param here to try another one."""
    if request.param == "fake":
        return FakeServer
    problem = _app_server_available()
    if problem:
        if IN_CI:
            pytest.fail(f"the app's ingest server cannot be imported: {problem}")
        pytest.skip(f"the app's ingest server cannot be imported: {problem}")
    return AppServer


# ------------------------------------------------------------------ harness process


class Harness:
    """The mono harness as a subprocess; every line it prints is kept for error messages."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.transcript: list[str] = []
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._pump_task = asyncio.ensure_future(self._pump())

    @classmethod
    async def start(
        cls, exe: Path, url: str, scenario: str, *options: str, env: dict | None = None
    ) -> Harness:
        _, mono = _require_mono()
        proc = await asyncio.create_subprocess_exec(
            mono, "--debug", str(exe), url, scenario, "--timeout", "90", *options,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
        )  # fmt: skip
        return cls(proc)

    async def _pump(self) -> None:
        while True:
            raw = await self.proc.stdout.readline()
            if not raw:
                await self._lines.put(None)
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            self.transcript.append(line)
            await self._lines.put(line)

    def _fail(self, what: str) -> None:
        text = "\n".join(self.transcript[-80:])
        pytest.fail(f"{what}\n--- harness output ---\n{text}")

    async def expect(self, pattern: str, timeout: float = STEP_TIMEOUT) -> re.Match:
        """Read lines until one matches ``pattern`` (lines before it are skipped)."""
        regex = re.compile(pattern)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                self._fail(f"no line matching {pattern!r} within {timeout} s")
            try:
                line = await asyncio.wait_for(self._lines.get(), remaining)
            except TimeoutError:
                self._fail(f"no line matching {pattern!r} within {timeout} s")
            if line is None:
                self._fail(f"harness ended before printing {pattern!r}")
            if line.startswith("ERROR"):
                self._fail(f"harness reported: {line}")
            match = regex.fullmatch(line)
            if match:
                return match

    async def send(self, command: str) -> None:
        self.proc.stdin.write(command.encode() + b"\n")
        await self.proc.stdin.drain()

    async def totals(self) -> dict[str, int]:
        """Read the SENT/DROPPED/PAUSED/RECONNECTS lines printed when the harness stops."""
        totals = {}
        for key in ("SENT", "DROPPED", "PAUSED", "RECONNECTS"):
            totals[key] = int((await self.expect(rf"{key} (\d+)"))[1])
        await self.expect("DONE")
        return totals

    async def close(self) -> int:
        """Wait for a clean exit; kill the process if it does not end in time."""
        try:
            if self.proc.stdin and not self.proc.stdin.is_closing():
                self.proc.stdin.close()
            return await asyncio.wait_for(self.proc.wait(), STEP_TIMEOUT)
        except TimeoutError:
            self._fail("harness did not exit")
        finally:
            await self.kill()

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        self._pump_task.cancel()


def run(coro) -> Any:
    return asyncio.run(asyncio.wait_for(coro, TEST_TIMEOUT))


async def eventually(condition, what: str, timeout: float = STEP_TIMEOUT) -> None:
    """Poll ``condition()`` on the event loop until it is true (the server runs meanwhile)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def scenario(
    exe: Path, server_cls: type, name: str, *options: str, env: dict | None = None
) -> tuple[Any, Harness, str]:
    server = server_cls()
    await server.start()
    harness = None
    try:
        harness = await Harness.start(exe, server.url, name, *options, env=env)
        session = (await harness.expect(r"READY session=(\S+)"))[1]
    except BaseException:
        if harness is not None:
            await harness.kill()
        await server.stop()
        raise
    return server, harness, session


def expected_series(start: int, count: int) -> list[tuple[float, float]]:
    """What Harness 'enqueue STREAM START COUNT' sends: t = i*0.01, v = i/3.0."""
    return [(i * 0.01, i / 3.0) for i in range(start, start + count)]


# ------------------------------------------------------------------ package layout


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_package_manifest_and_asmdefs() -> None:
    manifest = _json(PKG / "package.json")
    assert manifest["name"] == "com.streamscope.client"
    assert manifest["version"] == "0.1.0"
    assert manifest["unity"] == "2021.3"
    assert manifest["displayName"] and manifest["description"]
    assert [s["path"] for s in manifest["samples"]] == ["Samples~/Basic"]
    assert (PKG / "Samples~" / "Basic" / "BasicTelemetry.cs").is_file()
    sample = (PKG / "Samples~" / "Basic" / "BasicTelemetry.cs").read_text(encoding="utf-8")
    assert "RuntimeInitializeOnLoadMethod" not in sample, "the sample must not spawn itself"
    for doc in ("README.md", "CHANGELOG.md", "LICENSE.md"):
        assert (PKG / doc).is_file(), doc

    core = _json(PKG / "Runtime" / "Core" / "StreamScope.Core.asmdef")
    assert core["name"] == "StreamScope.Core" and core["noEngineReferences"] is True
    assert core["references"] == []
    unity = _json(PKG / "Runtime" / "Unity" / "StreamScope.Unity.asmdef")
    assert unity["name"] == "StreamScope.Unity"
    assert set(unity["references"]) == {"StreamScope.Core", "StreamScope"}
    facade = _json(PKG / "Runtime" / "Api" / "StreamScope.asmdef")
    assert facade["name"] == "StreamScope" and facade["references"] == []
    assert facade["defineConstraints"] == [], "the facade is compiled into every build"
    # The runtime is compiled only where the facade's [Conditional] calls are kept.
    gate = ["UNITY_EDITOR || DEVELOPMENT_BUILD || STREAMSCOPE_ENABLED"]
    assert core["defineConstraints"] == gate and unity["defineConstraints"] == gate
    facade_src = (PKG / "Runtime" / "Api" / "StreamScope.cs").read_text(encoding="utf-8")
    conditional = (
        '[Conditional("UNITY_EDITOR"), Conditional("DEVELOPMENT_BUILD"), '
        'Conditional("STREAMSCOPE_ENABLED")]'
    )
    for method in ("Register", "RegisterVector", "TrackPlayer", "Unregister", "Send", "SendVector",
                   "SendAt", "Begin", "Shutdown"):  # fmt: skip
        for m in re.finditer(rf"public static (\w+) {method}\(", facade_src):
            assert m[1] == "void", f"{method} must return void to be [Conditional]"
            head = facade_src[: m.start()].rstrip().splitlines()[-1].strip()
            assert head == conditional, f"{method}: {head}"
    editor = _json(PKG / "Editor" / "StreamScope.Editor.asmdef")
    assert editor["includePlatforms"] == ["Editor"]
    assert set(editor["references"]) == {"StreamScope", "StreamScope.Core", "StreamScope.Unity"}
    for tests in ("Runtime", "Editor"):
        asmdef = _json(PKG / "Tests" / tests / f"StreamScope.Tests.{tests}.asmdef")
        assert "UNITY_INCLUDE_TESTS" in asmdef["defineConstraints"]
        assert asmdef["precompiledReferences"] == ["nunit.framework.dll"]
        assert asmdef["autoReferenced"] is False
    assert manifest["documentationUrl"] and manifest["changelogUrl"] and manifest["licensesUrl"]
    assert manifest["author"]["url"]
    assert (PKG / "Documentation~" / "com.streamscope.client.md").is_file()
    changelog = (PKG / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(r"^## \[Unreleased\]$", changelog, re.M), "Keep a Changelog heading"
    assert "unreleased]" not in changelog.lower().replace("[unreleased]", "")


def test_every_package_asset_has_a_meta_file() -> None:
    """Unity ignores assets without .meta files in immutable (git/registry) packages."""
    guids: dict[str, Path] = {}
    for path in sorted(PKG.rglob("*")):
        rel = path.relative_to(PKG)
        hidden = any(part.startswith(".") or part.endswith("~") for part in rel.parts)
        if hidden or path.suffix == ".meta":
            continue
        meta = path.with_name(path.name + ".meta")
        assert meta.is_file(), f"missing {meta.relative_to(PKG)}"
        guid = re.search(r"^guid: ([0-9a-f]{32})$", meta.read_text(), re.M)
        assert guid, f"no guid in {meta.relative_to(PKG)}"
        assert guid[1] not in guids, f"{rel} and {guids[guid[1]]} share a guid"
        guids[guid[1]] = rel
    for meta in PKG.rglob("*.meta"):
        assert meta.with_suffix("").exists(), f"orphan {meta.relative_to(PKG)}"


# ------------------------------------------------------------------ compilation


@pytest.mark.slow  # compiles C# with mcs and runs it under mono
def test_core_and_harness_compile_and_selftest(harness_exe: Path) -> None:
    """(1) Core compiles alone (no engine references) and with the harness; offline self-test."""
    _, mono = _require_mono()
    proc = subprocess.run(
        [mono, str(harness_exe), "ws://127.0.0.1:9", "selftest", "--timeout", "60"],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert proc.returncode == 0 and "SELFTEST ok" in proc.stdout, proc.stdout + proc.stderr


ENABLING = ("UNITY_EDITOR", "DEVELOPMENT_BUILD", "STREAMSCOPE_ENABLED")
# Every asmdef of the package, in dependency order (the sample's lives in Samples~).
ASMDEF_FOLDERS = [
    PKG / "Runtime" / "Api",
    PKG / "Runtime" / "Core",
    PKG / "Runtime" / "Unity",
    PKG / "Editor",
    PKG / "Tests" / "Runtime",
    PKG / "Tests" / "Editor",
    PKG / "Samples~" / "Basic",
]
# What each build stands for: the symbols Unity would define.
BUILDS = {
    "editor": {"UNITY_EDITOR", "UNITY_INCLUDE_TESTS"},
    "editor-unity6": {"UNITY_EDITOR", "UNITY_INCLUDE_TESTS", "<version defines>"},
    "development": {"DEVELOPMENT_BUILD"},
    "release-enabled": {"STREAMSCOPE_ENABLED"},
    "release": set(),
}
TEST_RUNNER = {"UnityEngine.TestRunner", "UnityEditor.TestRunner"}


def _constraints_hold(asmdef: dict, defines: set[str]) -> bool:
    """Unity's defineConstraints: every entry must hold; an entry may be 'A || B'; '!A' negates."""
    for entry in asmdef.get("defineConstraints", []):
        terms = [t.strip() for t in entry.split("||")]
        if not any((t[1:] not in defines) if t.startswith("!") else (t in defines) for t in terms):
            return False
    return True


@pytest.fixture(scope="session")
def stub_dlls(build_dir: Path) -> dict[str, Path]:
    stubs = HERE / "stubs"
    engine = build_dir / "UnityEngine.dll"
    editor_api = build_dir / "UnityEditor.dll"
    runner = build_dir / "TestFramework.dll"
    _mcs(["-target:library", f"-out:{engine}", str(stubs / "UnityEngineStub.cs")], "stub")
    _mcs(
        [
            "-target:library",
            f"-out:{editor_api}",
            f"-r:{engine}",
            str(stubs / "UnityEditorStub.cs"),
        ],
        "stub",
    )
    _mcs(
        ["-target:library", f"-out:{runner}", f"-r:{engine}", str(stubs / "TestFrameworkStub.cs")],
        "stub",
    )
    return {"engine": engine, "editor": editor_api, "runner": runner}


def build_package(out_dir: Path, stub: dict[str, Path], defines: set[str]) -> dict[str, Path]:
    """Compile every asmdef of the package as Unity would for ``defines``: assemblies whose
    defineConstraints fail are left out, Editor-only ones need UNITY_EDITOR, each assembly gets
    exactly the references its asmdef lists, and everything is built with -doc and warnings as
    errors (so a public member without an XML comment, CS1591, fails the build)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for dll in stub.values():
        shutil.copy(dll, out_dir / dll.name)
    built: dict[str, Path] = {}
    for folder in ASMDEF_FOLDERS:
        (asmdef_path,) = folder.glob("*.asmdef")
        asmdef = _json(asmdef_path)
        if not _constraints_hold(asmdef, defines):
            continue
        if asmdef["includePlatforms"] == ["Editor"] and "UNITY_EDITOR" not in defines:
            continue
        symbols = set(defines)
        if "<version defines>" in defines:
            symbols |= {v["define"] for v in asmdef.get("versionDefines", [])}
        symbols.discard("<version defines>")
        refs = [] if asmdef.get("noEngineReferences") else [f"-r:{out_dir / 'UnityEngine.dll'}"]
        for name in asmdef["references"]:
            if name in TEST_RUNNER:
                refs.append(f"-r:{out_dir / 'TestFramework.dll'}")
            else:
                assert name in built, f"{asmdef['name']} needs {name}, which this build leaves out"
                refs.append(f"-r:{built[name]}")
        if "nunit.framework.dll" in asmdef.get("precompiledReferences", []):
            refs.append(f"-r:{out_dir / 'TestFramework.dll'}")
        if asmdef["includePlatforms"] == ["Editor"]:
            refs.append(f"-r:{out_dir / 'UnityEditor.dll'}")
        out = out_dir / f"{asmdef['name']}.dll"
        define_args = [f"-define:{d}" for d in sorted(symbols)]
        _mcs(
            [
                "-target:library",
                "-warnaserror",
                "-warnaserror+:CS1591",
                f"-doc:{out.with_suffix('.xml')}",
                f"-out:{out}",
                *define_args,
                *sorted(set(refs)),
                *_sources(folder),
            ],
            f"{asmdef['name']} ({' '.join(sorted(defines)) or 'no defines'})",
        )
        built[asmdef["name"]] = out
    # The game's own code (Assembly-CSharp) sees the facade only.
    game = out_dir / "Game.dll"
    _mcs(
        [
            "-target:library",
            "-warnaserror",
            f"-out:{game}",
            *[f"-define:{d}" for d in sorted(defines) if not d.startswith("<")],
            f"-r:{out_dir / 'UnityEngine.dll'}",
            f"-r:{built['StreamScope']}",
            str(HERE / "game" / "GameCode.cs"),
        ],
        "game code",
    )
    built["Game"] = game
    return built


@pytest.fixture(scope="session")
def il_scan_exe(build_dir: Path) -> Path:
    out = build_dir / "IlScan.exe"
    _mcs([f"-out:{out}", str(HERE / "ilscan" / "IlScan.cs")], "IlScan")
    return out


def _calls_into_streamscope(il_scan: Path, assembly: Path) -> list[str]:
    _, mono = _require_mono()
    proc = subprocess.run(
        [mono, str(il_scan), str(assembly), "StreamScope"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    methods = int(re.search(r"^METHODS (\d+)$", proc.stdout, re.M)[1])
    assert methods >= 4, proc.stdout  # the scan did read the game's method bodies
    return [line for line in proc.stdout.splitlines() if line.startswith("CALL ")]


@pytest.mark.slow  # compiles C# with mcs and runs it under mono
@pytest.mark.parametrize("build", sorted(BUILDS))
def test_package_compiles_in_every_build(
    build: str, build_dir: Path, stub_dlls: dict[str, Path], il_scan_exe: Path
) -> None:
    """Every asmdef compiles against the stub Unity API as Unity would build it: the editor
    (tests included, old and new Unity versions), a development build, a release build with
    STREAMSCOPE_ENABLED, and a plain release build, where the runtime, Core and test assemblies
    are left out by their defineConstraints and the game code still compiles. With -doc and
    CS1591 as an error. A type check only: nothing of Unity's behaviour runs here."""
    defines = BUILDS[build]
    built = build_package(build_dir / build, stub_dlls, defines)
    enabled = bool(defines & set(ENABLING))
    runtime = {"StreamScope.Core", "StreamScope.Unity"}
    if enabled:
        assert runtime <= built.keys(), sorted(built)
    else:
        assert not runtime & built.keys(), (
            f"release build compiled {sorted(runtime & built.keys())}"
        )
        assert "StreamScope.Tests.Runtime" not in built
    if "UNITY_INCLUDE_TESTS" in defines:
        assert {"StreamScope.Tests.Runtime", "StreamScope.Tests.Editor"} <= built.keys()
    assert "StreamScope.Samples.Basic" in built

    calls = _calls_into_streamscope(il_scan_exe, built["Game"])
    sample_calls = _calls_into_streamscope(il_scan_exe, built["StreamScope.Samples.Basic"])
    if enabled:
        # The scan finds the calls when they are there (so it can fail).
        assert len(calls) >= 13, calls
        assert sample_calls, "the sample should call StreamScope in this build"
    else:
        assert calls == [], "release game code still calls StreamScope:\n" + "\n".join(calls)
        assert sample_calls == [], "\n".join(sample_calls)


# ------------------------------------------------------------------ networked behaviour


@pytest.mark.slow  # compiles C# with mcs and runs it under mono
def test_values_arrive_exactly_and_in_order(harness_exe: Path, server_cls: type) -> None:
    """(3) Every value arrives bit-exact (R formatting) and in order, in the batch form."""

    async def main() -> None:
        server, harness, session = await scenario(harness_exe, server_cls, "values")
        try:
            await harness.expect("FLUSHED")
            totals = await harness.totals()
            assert await harness.close() == 0
            alpha = [(i * 0.01, i / 3.0) for i in range(2000)]
            beta = [(i * 0.01, v) for i, v in enumerate(BETA_VALUES)]
            assert totals["SENT"] == len(alpha) + len(beta)
            assert totals["DROPPED"] == 0
            await eventually(lambda: len(server.samples(session, "alpha")) >= 2000, "alpha")
            await eventually(lambda: len(server.samples(session, "beta")) >= len(beta), "beta")
            assert server.samples(session, "alpha") == alpha
            assert server.samples(session, "beta") == beta
            await eventually(lambda: _session_ended(server, session), "session end")
            server.check_session(session, connections=1)
        finally:
            await harness.kill()
            await server.stop()

    run(main())


def _session_ended(server: Any, session: str) -> bool:
    if isinstance(server, AppServer):
        return all(not s.live for s in server._sessions(session))
    conns = server._of(session)
    return bool(conns) and conns[-1]["frames"][-1] == {"type": "bye"}


@pytest.mark.slow  # compiles C# with mcs and runs it under mono
def test_reconnect_delivers_queue_and_counts_drops(harness_exe: Path, server_cls: type) -> None:
    """(4) The app goes away and comes back: queued samples arrive, only queue drops are lost."""

    async def main() -> None:
        server, harness, session = await scenario(
            harness_exe, server_cls, "interactive", "--capacity", "500", "--batch", "100"
        )
        try:
            await harness.send("wait_state Connected 20000")
            await harness.expect("STATE_REACHED Connected")
            await harness.send("enqueue r 0 300")
            await harness.expect("ENQUEUED stream=r count=300 accepted=300")
            await harness.send("flush 20000")
            await harness.expect("FLUSHED")
            await eventually(lambda: len(server.samples(session, "r")) == 300, "first 300")

            await server.stop()
            await harness.send("wait_state WaitingToReconnect 20000")
            await harness.expect("STATE_REACHED WaitingToReconnect")
            # 1200 samples into a queue of 500 while nobody listens: the oldest 700 go.
            await harness.send("enqueue r 300 1200")
            await harness.expect("ENQUEUED stream=r count=1200 accepted=1200")
            await harness.send("stats")
            stats = await harness.expect(r"STATS .*")
            assert " dropped=700 " in stats[0] and " queued=500 " in stats[0], stats[0]

            await server.start()  # same port: the client's URL does not change
            await harness.send("wait_state Connected 30000")
            await harness.expect("STATE_REACHED Connected", timeout=35)
            await harness.send("flush 20000")
            await harness.expect("FLUSHED")
            await harness.send("quit")
            totals = await harness.totals()
            assert await harness.close() == 0

            enqueued = 1500
            assert totals["DROPPED"] == 700
            assert totals["RECONNECTS"] == 1
            assert totals["SENT"] == enqueued - totals["DROPPED"]
            expected = expected_series(0, 300) + expected_series(1000, 500)
            await eventually(lambda: len(server.samples(session, "r")) >= len(expected), "all")
            assert server.samples(session, "r") == expected
            assert len(server.samples(session, "r")) == enqueued - totals["DROPPED"]
            # Both connections said hello with the same session id (one play session).
            await eventually(lambda: _session_ended(server, session), "session end")
            server.check_session(session, connections=2)
        finally:
            await harness.kill()
            await server.stop()

    run(main())


async def _command(server: Any, session: str, message: dict) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STEP_TIMEOUT
    while not await server.command(session, message):
        if loop.time() > deadline:
            pytest.fail(f"could not send {message} to session {session}")
        await asyncio.sleep(0.02)


@pytest.mark.slow  # compiles C# with mcs and runs it under mono
def test_stop_streaming_pauses_one_metric(harness_exe: Path, server_cls: type) -> None:
    """(5) stop_streaming drops that metric at the source; others go on; start resumes it."""

    async def main() -> None:
        server, harness, session = await scenario(harness_exe, server_cls, "interactive")
        try:
            await harness.send("wait_state Connected 20000")
            await harness.expect("STATE_REACHED Connected")
            for cmd in ("enqueue a 0 10", "enqueue b 0 10", "flush 20000"):
                await harness.send(cmd)
            await harness.expect("FLUSHED")

            await _command(server, session, {"type": "stop_streaming", "metric": "a"})
            await harness.send("wait_streaming a 0 20000")
            await harness.expect("STREAMING_REACHED a")
            await harness.send("enqueue a 10 10")
            await harness.expect("ENQUEUED stream=a count=10 accepted=0")
            await harness.send("enqueue b 10 10")
            await harness.expect("ENQUEUED stream=b count=10 accepted=10")

            await _command(server, session, {"type": "start_streaming", "metric": "a"})
            await harness.send("wait_streaming a 1 20000")
            await harness.expect("STREAMING_REACHED a")
            for cmd in ("enqueue a 20 10", "flush 20000", "quit"):
                await harness.send(cmd)
            await harness.expect("FLUSHED")
            totals = await harness.totals()
            assert await harness.close() == 0
            assert totals["PAUSED"] == 10 and totals["DROPPED"] == 0
            assert totals["SENT"] == 40

            a = expected_series(0, 10) + expected_series(20, 10)
            await eventually(lambda: len(server.samples(session, "a")) >= 20, "a")
            await eventually(lambda: len(server.samples(session, "b")) >= 20, "b")
            assert server.samples(session, "a") == a
            assert server.samples(session, "b") == expected_series(0, 20)
        finally:
            await harness.kill()
            await server.stop()

    run(main())


@pytest.mark.slow  # compiles C# with mcs and runs it under mono
def test_request_historical_data_is_answered(harness_exe: Path, server_cls: type) -> None:
    """The app asks for a metric's recent values; the client answers from its local ring.

    The metric is paused first, so its values never went out live and the answer is the only
    way they reach the app (the ring keeps paused values for exactly this).
    """

    async def main() -> None:
        server, harness, session = await scenario(harness_exe, server_cls, "interactive")
        try:
            await harness.send("wait_state Connected 20000")
            await harness.expect("STATE_REACHED Connected")
            await _command(server, session, {"type": "stop_streaming", "metric": "h"})
            await harness.send("wait_streaming h 0 20000")
            await harness.expect("STREAMING_REACHED h")
            await harness.send("enqueue h 0 50")
            await harness.expect("ENQUEUED stream=h count=50 accepted=0")
            await harness.send("value h 0.5 nan")
            await harness.expect("ENQUEUED stream=h count=1 accepted=0")

            await _command(server, session, {"type": "request_historical_data", "metric": "h"})
            expected = [*expected_series(0, 50), (0.5, None)]
            await eventually(lambda: len(server.samples(session, "h")) >= 51, "history")
            assert server.samples(session, "h") == expected
            await harness.send("quit")
            totals = await harness.totals()
            assert await harness.close() == 0
            assert totals["SENT"] == 0 and totals["PAUSED"] == 51
        finally:
            await harness.kill()
            await server.stop()

    run(main())


@pytest.mark.slow  # compiles C# with mcs and runs it under mono
def test_german_culture_still_sends_invariant_numbers(harness_exe: Path, server_cls: type) -> None:
    """(6) Under de-DE (environment and CultureInfo) 3.5 still arrives as 3.5."""
    env = dict(os.environ, LANG="de_DE.UTF-8", LC_ALL="de_DE.UTF-8", LC_NUMERIC="de_DE.UTF-8")

    async def main() -> None:
        server, harness, session = await scenario(
            harness_exe, server_cls, "culture", "--culture", "de-DE", env=env
        )
        try:
            await harness.expect("FLUSHED")
            totals = await harness.totals()
            assert await harness.close() == 0
            # The harness really ran German: 3.5.ToString() gave "3,5" there.
            assert "CULTURE name=de-DE sample=3,5" in harness.transcript, harness.transcript[:3]
            assert totals["SENT"] == len(CULTURE_VALUES)
            expected = [(i * 0.5, v) for i, v in enumerate(CULTURE_VALUES)]
            await eventually(lambda: len(server.samples(session, "culture")) >= 5, "values")
            assert server.samples(session, "culture") == expected
            assert server.samples(session, "culture")[0][1] == 3.5
        finally:
            await harness.kill()
            await server.stop()

    run(main())


@pytest.mark.slow  # compiles C# with mcs and runs it under mono
def test_nan_and_infinity_arrive_as_gaps(harness_exe: Path, server_cls: type) -> None:
    """(7) NaN and +-Infinity are written as null, which the app stores as a gap."""

    async def main() -> None:
        server, harness, session = await scenario(harness_exe, server_cls, "nan")
        try:
            await harness.expect("FLUSHED")
            totals = await harness.totals()
            assert await harness.close() == 0
            assert totals["SENT"] == 6
            values = [1.0, None, 2.0, None, None, 3.0]
            expected = [(i * 0.1, v) for i, v in enumerate(values)]
            await eventually(lambda: len(server.samples(session, "gappy")) >= 6, "values")
            assert server.samples(session, "gappy") == expected
            if isinstance(server, FakeServer):
                server.check_session(session, connections=1)  # strict JSON: no NaN tokens
        finally:
            await harness.kill()
            await server.stop()

    run(main())


# ------------------------------------------------------------------ connect that always ends


class SilentListener:
    """Accepts TCP connections and never answers the WebSocket upgrade (a frozen app, a wrong
    port behind a proxy). A plain socket server on a thread; counts the connections."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted.append(conn)  # held open, never read or answered

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for conn in self.accepted:
            conn.close()
        self._sock.close()


@pytest.mark.slow  # compiles C# with mcs and runs it under mono
def test_connect_to_a_silent_listener_times_out_and_stop_ends_it(harness_exe: Path) -> None:
    """Attempts fail after ConnectTimeout and are retried; Stop(500 ms) during a hanging attempt
    returns true within 600 ms and the client is Stopped; one socket at most is left waiting."""
    listener = SilentListener()

    async def main() -> None:
        harness = await Harness.start(
            harness_exe, listener.url, "hang", "--connect-timeout", "1000"
        )
        try:
            attempts = await harness.expect(r"ATTEMPTS failed=(\d+) ms=(\d+) error=(\S+)", 30)
            failed, ms = int(attempts[1]), int(attempts[2])
            assert failed >= 2, harness.transcript
            # two attempts of 1 s each plus one backoff of 0.2 s +-20 %
            assert 1900 <= ms <= 15000, harness.transcript
            assert "TimeoutException" in attempts[3]
            stop = await harness.expect(r"STOP returned=(\w+) ms=(\d+) before=(\w+) state=(\w+) .*")
            print(f"Stop(500 ms) during a hanging connect: returned {stop[1]} in {stop[2]} ms")
            assert stop[3] == "Connecting", "Stop was meant to land in the middle of an attempt"
            assert stop[1] == "true" and int(stop[2]) <= 600 and stop[4] == "Stopped", stop[0]
            await harness.expect("DONE")
            assert await harness.close() == 0
            assert len(listener.accepted) == 1, "abandoned sockets piled up"
        finally:
            await harness.kill()

    try:
        run(main())
    finally:
        listener.close()


# ------------------------------------------------------------------ token


class TokenAppServer(AppServer):
    """The app as started with --token: refuses clients without the shared secret."""

    token = "s3cret-for-the-test"


@pytest.mark.slow  # compiles C# with mcs and runs it under mono
def test_token_is_accepted_by_an_app_started_with_token(harness_exe: Path) -> None:
    """The client sends Authorization: Bearer; without it the same app refuses the connection."""
    problem = _app_server_available()
    if problem:
        pytest.skip(problem)

    async def main() -> None:
        server = TokenAppServer()
        await server.start()
        harness = await Harness.start(
            harness_exe, server.url, "values", "--token", TokenAppServer.token
        )
        try:
            session = (await harness.expect(r"READY session=(\S+)"))[1]
            await harness.expect("FLUSHED")
            totals = await harness.totals()
            assert await harness.close() == 0
            assert totals["SENT"] == 2000 + len(BETA_VALUES)
            await eventually(lambda: len(server.samples(session, "alpha")) >= 2000, "alpha")

            refused = await Harness.start(harness_exe, server.url, "interactive")
            try:
                await refused.send("wait_state WaitingToReconnect 20000")
                await refused.expect("STATE_REACHED WaitingToReconnect")
                await refused.send("stats")
                stats = await refused.expect(r"STATS .*")
                assert " failed=0 " not in stats[0], stats[0]
                assert server.server.rejected.get(401), server.server.rejected
            finally:
                await refused.kill()
        finally:
            await harness.kill()
            await server.stop()

    run(main())


# ------------------------------------------------------------------ allocations


@pytest.mark.slow  # compiles C# with mcs and runs it under mono
def test_bytes_allocated_per_sample(harness_exe: Path) -> None:
    """Prints bytes allocated per sample once warm: Enqueue on the calling (main) thread while
    the client sends, and the sender's frame writer. Mono's own ClientWebSocket.SendAsync
    (per frame, on pool threads) is not covered: Mono has no process-wide counter."""

    async def main() -> None:
        server = FakeServer()
        await server.start()
        harness = await Harness.start(harness_exe, server.url, "alloc", "--capacity", "40000")
        try:
            main_thread = await harness.expect(r"ALLOC main_thread_bytes_per_sample=(\S+) .*", 60)
            encode = await harness.expect(r"ALLOC sender_encode_bytes_per_sample=(\S+) .*", 60)
            await harness.expect("DONE")
            assert await harness.close() == 0
            for line in (main_thread, encode):
                print(line[0])
            assert float(main_thread[1]) == 0.0, main_thread[0]
            assert float(encode[1]) == 0.0, encode[0]
        finally:
            await harness.kill()
            await server.stop()

    run(main())
