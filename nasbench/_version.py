"""The package version, in a module of its own so that any module can import it without importing
the package's `__init__` (which imports most of the package). Keep equal to pyproject.toml's."""
__version__ = "0.1.0"
