"""The import-linter contracts in pyproject.toml: the core stays free of Qt and I/O."""

import shutil
import subprocess
import sys

from support.paths import ROOT, assert_imports_without_qt


def test_import_contracts_hold():
    exe = shutil.which("lint-imports") or [sys.executable, "-m", "importlinter.cli"]
    cmd = [exe] if isinstance(exe, str) else exe
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout and "BROKEN" not in result.stdout


def test_core_imports_without_qt():
    assert_imports_without_qt(
        "streamscope.core.store.store",
        "streamscope.core.protocol",
        "streamscope.core.series.plotdata",
    )
