"""Data sources and transforms (registered on import)."""
from . import batch_mixing, photo_transforms, sources, transforms, widerface  # noqa: F401
