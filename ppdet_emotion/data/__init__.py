"""Data sources and transforms (registered on import)."""
from . import sources, transforms, widerface  # noqa: F401
