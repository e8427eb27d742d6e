"""Data sources and transforms (registered on import)."""
from . import sources, transforms  # noqa: F401
