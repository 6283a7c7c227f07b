"""StreamScope: live telemetry plots over WebSocket."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("streamscope")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+local"
