"""The Python package's version (kept equal to the library's it ships with)."""

__version__ = "0.1.0"
