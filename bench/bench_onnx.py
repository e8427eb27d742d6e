"""ONNX Runtime beside Paddle Inference + oneDNN, in one run: the expression classifier (ms per
face at batch 1 and 32), the face detector (ms per photo) and the cascade (ms per photo) on a
1024x768 photo with 5 faces, plus the largest difference between the two runtimes' outputs.

    python bench/bench_onnx.py [--image PHOTO] [--threads 2] [--repeats 10]

Without ``--image`` the photo is 5 copies of the demo portrait on a 1024x768 background
(``ppdet_emotion.data.synthetic_video.group_photo``). Prints a table.
"""
import argparse
import os
import tempfile

import numpy as np

from timing import median_ms  # noqa: E402

CLASSIFIER = ('fer2013_resnet18', ['weights=ppdet_emotion://weights/emotion/fer2013_resnet18.pdparams'])
DETECTOR = ('centerface', ['weights=ppdet_emotion://weights/centerface/centerface.pdparams'])
CASCADE = ('default', [])


def export(name, opts, folder, threads):
    """Both exports of a shipped config: (Paddle predictor, ONNX predictor, meta)."""
    from ppdet_emotion.engine.cli import load_cfg
    from ppdet_emotion.engine.export import Predictor, export_classifier, export_detector
    from ppdet_emotion.engine.model_loading import build_inference_model
    from ppdet_emotion.engine.onnx_model import OnnxPredictor, convert
    from ppdet_emotion.engine.roles import CLASSIFIER, architecture_role
    from ppdet_emotion.data.input_spec import FaceInputSpec
    cfg = load_cfg(name, opts)
    model, meta = build_inference_model(cfg)
    prefix = os.path.join(folder, name, 'model')
    info = {'architecture': cfg.architecture}
    if architecture_role(cfg) == CLASSIFIER:
        spec = FaceInputSpec.from_meta(meta, cfg.weights)
        export_classifier(model, spec, prefix)
        info.update(kind='classifier', **spec.to_meta())
    else:
        info.update(kind='detector', output_names=export_detector(model, prefix))
    onnx_folder = os.path.join(folder, name + '_onnx')
    os.makedirs(onnx_folder)
    info['onnx'] = convert(prefix, onnx_folder, info)
    return cfg, Predictor(prefix, True, threads), OnnxPredictor(onnx_folder, info, threads)


def largest_difference(a, b):
    return max(float(np.abs(np.asarray(x, np.float64) - np.asarray(y, np.float64)).max())
               for x, y in zip(a, b) if np.size(x))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--image', default=None, help='a photo (default: 5 faces, 1024x768)')
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--repeats', type=int, default=10)
    args = parser.parse_args()
    if args.threads:
        os.environ['OMP_NUM_THREADS'] = str(args.threads)
    import ppdet_emotion  # noqa: F401
    from ppdet_emotion.data.preprocess import Preprocess
    from ppdet_emotion.data.synthetic_video import group_photo
    from ppdet_emotion.inference.sources import read_rgb
    threads = int(os.environ['OMP_NUM_THREADS'])
    rgb = read_rgb(args.image) if args.image else group_photo((1024, 768), 5)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        _, paddle_cls, onnx_cls = export(*CLASSIFIER, folder, threads)
        faces = np.random.default_rng(0).standard_normal((32, 1, 40, 40)).astype(np.float32)
        for batch in (1, 32):
            inputs = {'image': faces[:batch]}
            rows.append(('classifier, batch {}'.format(batch), 'ms / face', [
                median_ms(lambda: p(inputs), args.repeats) / batch for p in (paddle_cls, onnx_cls)],
                largest_difference(paddle_cls(inputs), onnx_cls(inputs))))
        for what, (name, opts) in (('detector (CenterFace)', DETECTOR), ('cascade', CASCADE)):
            cfg, paddle_model, onnx_model = export(name, opts, folder, threads)
            batch = Preprocess(cfg['TestReader']['sample_transforms'])(rgb)
            found = int(paddle_model(batch)[1].sum())
            rows.append(('{}, {} boxes'.format(what, found), 'ms / photo', [
                median_ms(lambda: p(batch), args.repeats) for p in (paddle_model, onnx_model)],
                largest_difference(paddle_model(batch), onnx_model(batch))))
    print('photo {}x{}, {} threads, median of {}'.format(rgb.shape[1], rgb.shape[0], threads,
                                                        args.repeats))
    print('| model | unit | Paddle Inference + oneDNN | ONNX Runtime | largest output difference |')
    print('|---|---|---|---|---|')
    for what, unit, (paddle_ms, onnx_ms), diff in rows:
        print('| {} | {} | {:.2f} | {:.2f} | {:.2g} |'.format(what, unit, paddle_ms, onnx_ms, diff))


if __name__ == '__main__':
    main()
