from . import emotion_head  # noqa: F401
from . import blazeface_mediapipe_head  # noqa: F401
from . import centerface_head  # noqa: F401
