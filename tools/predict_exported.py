"""Run an exported model with Paddle Inference on the CPU (oneDNN on by default).

Writes the same labelled pictures and JSON as tools/infer.py:

    python tools/predict_exported.py --model_dir output_inference/blazeface_fer2013 --infer_img=photo.jpg
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ppdet_emotion  # noqa: E402,F401
from ppdet_emotion.engine.cli import add_infer_args, run  # noqa: E402
from ppdet_emotion.engine.export import EXPORT_META, Predictor  # noqa: E402
from ppdet_emotion.engine.predict import (classify_crops, label_images, list_images,  # noqa: E402
                                          report_classifications, report_faces)
from ppdet_emotion.errors import ConfigError, WeightsError  # noqa: E402


def read_export_meta(model_dir):
    path = os.path.join(model_dir, EXPORT_META)
    if not os.path.isfile(path):
        raise WeightsError('{!r} is not an exported model folder: {} is missing (write one with '
                           'tools/export_model.py)'.format(model_dir, EXPORT_META))
    with open(path) as f:
        meta = json.load(f)
    if meta.get('kind') == 'detector' and 'output_names' not in meta:
        raise WeightsError('{!r} was exported by an older ppdet-emotion (no output names in {}): '
                           'export it again with tools/export_model.py'.format(model_dir, EXPORT_META))
    return meta


@run
def main(argv=None):
    parser = add_infer_args(argparse.ArgumentParser(description=__doc__))
    parser.add_argument('--model_dir', required=True, help='folder written by tools/export_model.py')
    parser.add_argument('--no_onednn', action='store_true', help='plain CPU kernels')
    parser.add_argument('--threads', type=int, default=os.cpu_count(), help='CPU threads')
    args = parser.parse_args(argv)
    meta = read_export_meta(args.model_dir)
    if args.ten_crop and meta['kind'] != 'classifier':
        raise ConfigError('--ten_crop: an exported detector or cascade fixes its crops when '
                          'exported; re-export a cascade with -o EmotionPostProcess.ten_crop=true')
    images = list_images(args.infer_img, args.infer_dir)
    predictor = Predictor(os.path.join(args.model_dir, 'model'), not args.no_onednn, args.threads)
    if meta['kind'] == 'classifier':
        results = classify_crops(lambda faces: predictor({'image': faces})[0], meta['input_spec'],
                                 meta['class_names'], images, args.ten_crop or None)
        report_classifications(results, args.output_dir, args.save_results)
        return
    names = meta['output_names']
    results = label_images(lambda batch: dict(zip(names, predictor(batch))), meta['sample_transforms'],
                           meta['class_names'], images, args.output_dir, args.draw_threshold,
                           args.save_results, args.draw_landmarks)
    report_faces(results, args.output_dir)


if __name__ == '__main__':
    main()
