"""Benchmark the cascade end to end on one photo: dygraph vs exported (Paddle Inference + oneDNN),
with the detector and the expression classifier timed apart.

    python bench/bench_cascade.py --image PHOTO -o detector_weights=D.pdparams emotion_weights=E.pdparams
        [-c configs/emotion/default.yml] [--threads 2] [--repeats 10]

Prints a table of median milliseconds per photo.
"""
import argparse
import os
import tempfile


from timing import median_ms  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('-c', '--config', default='default')
    parser.add_argument('-o', '--opt', nargs='*', default=[])
    parser.add_argument('--image', required=True, help='a photo with several faces (~1024x768)')
    parser.add_argument('--threads', type=int, default=None,
                        help='CPU threads (default: OMP_NUM_THREADS if set, else every usable core)')
    parser.add_argument('--repeats', type=int, default=10)
    args = parser.parse_args()
    if args.threads:
        os.environ['OMP_NUM_THREADS'] = str(args.threads)

    import ppdet_emotion  # noqa: F401  (first: it sets the import order and OMP_NUM_THREADS)
    args.threads = int(os.environ['OMP_NUM_THREADS'])
    import paddle
    from ppdet_emotion.data.input_spec import FaceInputSpec
    from ppdet_emotion.engine.cli import load_cfg
    from ppdet_emotion.engine.export import Predictor, export_classifier, export_detector
    from ppdet_emotion.engine.model_loading import build_inference_model
    from ppdet_emotion.data.preprocess import Preprocess
    from ppdet_emotion.inference.sources import read_rgb
    from ppdet_emotion.modeling.padding import no_detection_row

    cfg = load_cfg(args.config, args.opt)
    model, meta = build_inference_model(cfg)
    model.eval()
    rgb = read_rgb(args.image)
    batch = Preprocess(cfg['TestReader']['sample_transforms'])(rgb)
    tensors = {k: paddle.to_tensor(v) for k, v in batch.items()}
    with paddle.no_grad():
        det = model.detector(tensors)
        index, counts, _ = model.post_process.select(det['bbox'], det['bbox_num'])
        faces = index.shape[0]
        rows = model.post_process.padded_rows(det['bbox'], index, no_detection_row())
        crops = model.post_process.face_crops(rows, counts, tensors).numpy()
        crops = crops.reshape((-1,) + crops.shape[-3:])  # ten crops: one batch of all of them
        det_ms = median_ms(lambda: model.detector(tensors), args.repeats)
        post_ms = median_ms(lambda: model.post_process(det, tensors, model.classifier), args.repeats)
        total_ms = median_ms(lambda: model(tensors), args.repeats)
    rows = [('dygraph', det_ms, post_ms, total_ms)]

    spec = FaceInputSpec.from_meta(meta, 'the emotion weights')
    size = spec.size
    with tempfile.TemporaryDirectory() as tmp:
        export_detector(model.detector, os.path.join(tmp, 'det'))
        export_classifier(model.classifier, spec, os.path.join(tmp, 'cls'))
        names = export_detector(model, os.path.join(tmp, 'cascade'))
        detector = Predictor(os.path.join(tmp, 'det'), True, args.threads)
        classifier = Predictor(os.path.join(tmp, 'cls'), True, args.threads)
        cascade = Predictor(os.path.join(tmp, 'cascade'), True, args.threads)
        cls_ms = median_ms(lambda: classifier({'image': crops}), args.repeats)
        rows.append(('Paddle Inference + oneDNN', median_ms(lambda: detector(batch), args.repeats),
                     cls_ms, median_ms(lambda: cascade(batch), args.repeats)))
        assert len(names) == len(cascade(batch))

    print('photo {} ({}x{}), {} faces classified, {} threads, input {}x{}'.format(
        os.path.basename(args.image), rgb.shape[1], rgb.shape[0], faces, args.threads, size, size))
    print('| mode | detector ms | classifier ms (all faces) | cascade total ms |')
    print('|---|---|---|---|')
    for name, d, c, t in rows:
        print('| {} | {:.1f} | {:.1f} | {:.1f} |'.format(name, d, c, t))


if __name__ == '__main__':
    main()
