from . import emotion_classifier, face_emotion  # noqa: F401
