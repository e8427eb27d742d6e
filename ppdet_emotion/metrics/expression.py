"""Expression metric: top-1 accuracy, mean and per-class recall, confusion matrix."""
import os

import numpy as np
from ppdet.metrics import Metric
from ppdet.utils.logger import setup_logger

from ..io import atomic_path, write_json

logger = setup_logger(__name__)


def confusion_matrix(labels, preds, num_classes):
    """Rows: true class, columns: predicted class."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels), np.asarray(preds)), 1)
    return matrix


def summarize(matrix, class_names):
    """Accuracy figures of a confusion matrix, as plain JSON-ready values."""
    support = matrix.sum(1)
    recall = np.where(support > 0, np.diag(matrix) / np.maximum(support, 1), np.nan)
    return {
        'top1_acc': float(np.trace(matrix) / max(matrix.sum(), 1)),
        'mean_recall': float(np.nanmean(recall)) if np.any(support > 0) else 0.0,
        'per_class_recall': {n: (None if np.isnan(r) else float(r)) for n, r in zip(class_names, recall)},
        'confusion_matrix': matrix.tolist(),
        'class_names': list(class_names),
        'num_samples': int(matrix.sum()),
    }


def format_table(results):
    """The confusion matrix and recalls as a fixed-width text table."""
    names = results['class_names']
    width = max(8, max(len(n) for n in names) + 1)
    lines = ['true \\ pred'.ljust(width + 3) + ''.join(n[:width - 1].rjust(width) for n in names)
             + 'recall'.rjust(width)]
    for name, row in zip(names, results['confusion_matrix']):
        recall = results['per_class_recall'][name]
        lines.append(name.ljust(width + 3) + ''.join(str(v).rjust(width) for v in row)
                     + ('-' if recall is None else '{:.3f}'.format(recall)).rjust(width))
    lines.append('top-1 accuracy {:.4f}, mean per-class recall {:.4f} ({} faces)'.format(
        results['top1_acc'], results['mean_recall'], results['num_samples']))
    return '\n'.join(lines)


def save_confusion_png(results, path):
    """Confusion matrix as a picture (row-normalised colours, counts written in the cells)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    matrix = np.asarray(results['confusion_matrix'], dtype=np.float64)
    names = results['class_names']
    norm = matrix / np.maximum(matrix.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    ax.imshow(norm, cmap='Blues', vmin=0, vmax=1)
    ax.set_xticks(range(len(names)), names, rotation=45, ha='right')
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel('predicted')
    ax.set_ylabel('true')
    ax.set_title('top-1 {:.1%}, mean recall {:.1%}'.format(results['top1_acc'], results['mean_recall']))
    for i in range(len(names)):
        for j in range(len(names)):
            ax.text(j, i, int(matrix[i, j]), ha='center', va='center',
                    color='white' if norm[i, j] > 0.5 else 'black', fontsize=8)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format='png', dpi=120)
    plt.close(fig)


class ExpressionMetric(Metric):
    """Collects predicted and true classes; ``primary_key`` selects the best checkpoint."""

    primary_key = 'top1_acc'

    def __init__(self, class_names, output_eval=None):
        self.class_names = list(class_names)
        self.output_eval = output_eval
        self.reset()

    def reset(self):
        self.labels, self.preds = [], []
        self.results = {}

    def update(self, inputs, outputs):
        self.labels.append(np.asarray(inputs['gt_class']).reshape(-1))
        self.preds.append(outputs['class_id'].numpy().reshape(-1))

    def accumulate(self):
        matrix = confusion_matrix(np.concatenate(self.labels), np.concatenate(self.preds),
                                  len(self.class_names))
        self.results = summarize(matrix, self.class_names)
        if self.output_eval:
            write_json(os.path.join(self.output_eval, 'eval_results.json'), self.results)
            save_confusion_png(self.results, os.path.join(self.output_eval, 'confusion_matrix.png'))

    def log(self):
        logger.info('Expression evaluation:\n' + format_table(self.results))

    def get_results(self):
        return self.results
