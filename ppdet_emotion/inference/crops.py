"""Face-crop files through an expression classifier alone: each file's class and probabilities."""
import os

import paddle

from ..data.transforms import preprocess_faces
from ..io import write_json
from .sources import read_rgb


def classify_crops(forward, spec, images, use_ten_crop=None):
    """Classify face-crop files; ``forward`` maps a preprocessed batch (``spec``: the
    ``FaceInputSpec``) to probabilities."""
    class_names = spec.class_names
    results = []
    for path in images:
        faces = preprocess_faces([read_rgb(path)], spec, use_ten_crop)
        probs = forward(faces.reshape((-1,) + faces.shape[-3:])).mean(0)
        results.append({'image': path, 'expression': class_names[int(probs.argmax())],
                        'score': round(float(probs.max()), 4),
                        'probabilities': {n: round(float(p), 4) for n, p in zip(class_names, probs)}})
    return results


def classifier_forward(model):
    """An EmotionClassifier as numpy faces -> numpy probabilities."""
    def forward(faces):
        with paddle.no_grad():
            return model.classify(paddle.to_tensor(faces))['probs'].numpy()
    model.eval()
    return forward


def report_classifications(results, output_dir, save_results):
    """Print each crop's top class and probabilities; optionally save them as JSON."""
    for r in results:
        probs = ', '.join('{} {:.3f}'.format(k, v) for k, v in r['probabilities'].items())
        print('{}: {} {:.3f} ({})'.format(r['image'], r['expression'], r['score'], probs))
    if save_results:
        path = os.path.join(output_dir, 'classification_results.json')
        write_json(path, results)
        print('results: {}'.format(path))
