from . import emotion_classifier  # noqa: F401
