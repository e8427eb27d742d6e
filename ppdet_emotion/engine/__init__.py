"""Training and evaluation plumbing: trainer subclass, callbacks, checkpoints, CLI helpers."""
