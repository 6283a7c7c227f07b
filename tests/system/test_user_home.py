"""The suite never touches the user's home: config and documents folders are redirected
before any test module is imported, child processes included."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from streamscope.core.files.userdirs import config_dir, documents_dir, last_layout_path
from support import home
from support.paths import child_env

# what a module that builds an environment at import time sees (test_faults once did)
AT_IMPORT = child_env()


def test_a_child_environment_made_at_import_time_is_redirected_already():
    for var in ("STREAMSCOPE_CONFIG_DIR", "STREAMSCOPE_DOCUMENTS_DIR", "XDG_CONFIG_HOME"):
        assert Path(AT_IMPORT[var]).is_relative_to(home.SESSION_ROOT)


def test_config_and_documents_are_redirected_for_this_process_and_its_children(window):
    for real in (home.REAL_CONFIG_DIR, home.REAL_DOCUMENTS_DIR):
        for ours in (config_dir(), documents_dir()):
            assert not ours.is_relative_to(real)
    window.file_actions.save_last_layout()  # what quitting the app writes
    assert last_layout_path().is_file()
    code = (
        "from streamscope.core.files.userdirs import config_dir, documents_dir; "
        "print(config_dir()); print(documents_dir())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=child_env(), capture_output=True, text=True, check=True
    ).stdout.split()
    assert [Path(p) for p in out] == [config_dir(), documents_dir()]


def test_the_real_config_and_documents_folders_are_not_written():
    """Run late in the session (system/ after core/, ingest/ and most of ui/): nothing the
    tests before it did changed a file in the real folders."""
    assert home.listing(home.REAL_CONFIG_DIR) == home.REAL_CONFIG_BEFORE
    assert home.listing(home.REAL_DOCUMENTS_DIR) == home.REAL_DOCUMENTS_BEFORE
