from . import distresnet, resnet, vgg  # noqa: F401
from . import blazeface_mediapipe  # noqa: F401
from . import centerface  # noqa: F401
