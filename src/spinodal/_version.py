"""The installed version of spinodal (``0.0.0+unknown`` in a source tree without installation)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("spinodal")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
