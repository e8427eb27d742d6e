"""Backbones, heads, architectures and the cascade's post-processing (registered on import)."""
from . import architectures, backbones, heads, post_process  # noqa: F401
