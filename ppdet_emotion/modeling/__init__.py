"""Backbones, heads and architectures (registered on import)."""
from . import architectures, backbones, heads  # noqa: F401
