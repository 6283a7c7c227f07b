"""The type check CI runs: mypy over the whole package, strict on the Qt-free core.

Why a test: CI runs only pytest, so a type error anywhere in ``src/streamscope`` fails the
build here, with mypy's report as the failure message.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

from support.paths import ROOT

# strict's per-module flags: a section that says `strict = true` is applied to the whole run by
# mypy, so the core's section lists them one by one.
STRICT_FLAGS = {
    "disallow_any_generics",
    "disallow_subclassing_any",
    "disallow_untyped_calls",
    "disallow_untyped_defs",
    "disallow_incomplete_defs",
    "disallow_untyped_decorators",
    "warn_return_any",
    "no_implicit_reexport",
    "extra_checks",
}


def _mypy_config() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["mypy"]


def test_the_core_is_checked_strictly() -> None:
    config = _mypy_config()
    assert config["files"] == ["src/streamscope"]
    core = [o for o in config["overrides"] if "streamscope.core.*" in o["module"]]
    assert len(core) == 1
    assert {flag for flag in STRICT_FLAGS if core[0].get(flag) is True} == STRICT_FLAGS
    assert "strict" not in core[0]  # it would turn strict on for every module
    for section in config["overrides"]:  # nothing in the core is let off
        if any(m.startswith("streamscope.core") for m in section["module"]):
            assert not section.get("ignore_errors") and not section.get("disable_error_code")


@pytest.mark.slow
def test_mypy_reports_no_errors() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, f"mypy found type errors:\n{report}"
    assert "Success: no issues found" in report, report
