from .expression import ExpressionMetric  # noqa: F401
from .widerface import WiderFaceAP  # noqa: F401
