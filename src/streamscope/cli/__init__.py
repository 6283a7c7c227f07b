"""The ``streamscope`` command: the app, and its subcommands (export, bench, soak)."""

from streamscope.cli.main import main

__all__ = ["main"]
