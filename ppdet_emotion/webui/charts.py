"""The probability chart of a photo: one small bar chart of the expression probabilities per
face, numbered as in the labelled picture, in the pictures' colours."""
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..classes import CLASS_COLORS

COLUMNS = 3


def probability_chart(faces, class_names, max_faces=24):
    """A matplotlib Figure for the first ``max_faces`` faces (None when there is none)."""
    shown = [f for f in faces if 'probabilities' in f][:max_faces]
    if not shown:
        return None
    rows = -(-len(shown) // COLUMNS)
    columns = min(COLUMNS, len(shown))
    figure = Figure(figsize=(3.6 * columns, 2.4 * rows + 0.3))
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    colors = [np.array(CLASS_COLORS.get(n, (128, 128, 128))) / 255.0 for n in class_names]
    for number, (ax, face) in enumerate(zip(axes, shown), 1):
        values = [face['probabilities'][n] for n in class_names]
        ax.barh(range(len(class_names)), values, color=colors)
        ax.set_yticks(range(len(class_names)), class_names)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_title('#{} {} {:.2f}'.format(number, face['expression'], face['expression_score']),
                     fontsize=10)
    for ax in axes[len(shown):]:
        ax.set_visible(False)
    if len(faces) > len(shown):
        figure.suptitle('the first {} of {} faces'.format(len(shown), len(faces)), fontsize=10)
    figure.tight_layout()
    return figure
