from .expression import ExpressionMetric  # noqa: F401
