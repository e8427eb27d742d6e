from . import emotion_classifier, face_emotion  # noqa: F401
from . import blazeface_mediapipe  # noqa: F401
from . import centerface  # noqa: F401
