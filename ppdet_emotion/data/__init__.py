"""Data sources and transforms (registered on import)."""
from . import photo_transforms, sources, transforms, widerface  # noqa: F401
