"""The expression timeline of a stream: per track, its smoothed probabilities stacked over time,
one colour per expression (the pictures' colours)."""
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..classes import CLASS_COLORS


def gaps(times):
    """Where a track's times jump (it vanished and came back): the plot leaves those gaps open."""
    if len(times) < 3:
        return []
    steps = np.diff(times)
    return np.flatnonzero(steps > 3 * np.median(steps)) + 1


def plot_tracks(series, class_names):
    """``series``: {track: (times T, probabilities T x classes)} -> a matplotlib Figure."""
    figure = Figure(figsize=(10, 1.2 + 1.6 * len(series)))
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(series), 1, sharex=True, squeeze=False)[:, 0]
    colors = [np.array(CLASS_COLORS.get(n, (128, 128, 128))) / 255.0 for n in class_names]
    for ax, (track, (times, probs)) in zip(axes, series.items()):
        breaks = gaps(times)
        for part_t, part_p in zip(np.split(times, breaks), np.split(probs, breaks)):
            ax.stackplot(part_t, part_p.T, colors=colors, linewidth=0)
        ax.set_ylim(0, 1)
        ax.set_yticks([0, 0.5, 1])
        ax.set_ylabel('track {}'.format(track))
    axes[0].set_xlim(min(t[0] for t, _ in series.values()),
                     max(t[-1] for t, _ in series.values()) + 1e-6)
    axes[-1].set_xlabel('time (s)')
    handles = [Patch(color=c, label=n) for c, n in zip(colors, class_names)]
    figure.legend(handles=handles, loc='upper center', ncol=len(class_names), frameon=False)
    figure.tight_layout(rect=(0, 0, 1, 1 - 0.5 / figure.get_figheight()))
    return figure
