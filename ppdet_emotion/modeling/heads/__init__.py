from . import emotion_head  # noqa: F401
