"""Run an exported model on the CPU: Paddle Inference (oneDNN on by default), or ONNX Runtime
for a folder written by ``tools/export_model.py --onnx``.

Takes the inputs of tools/infer.py (photos, a folder, a list, a video, a camera) and writes the
same labelled pictures, videos, JSON and CSV:

    python tools/predict_exported.py --model_dir output_inference/default --infer_img=photo.jpg
    python tools/predict_exported.py --model_dir output_inference/default_onnx --infer_img=photo.jpg
"""
import argparse

import ppdet_emotion  # noqa: F401
from ppdet_emotion.engine.cli import run
from ppdet_emotion.engine.export import open_predictor
from ppdet_emotion.data.input_spec import FaceInputSpec
from ppdet_emotion.errors import ConfigError
from ppdet_emotion.inference.command import add_infer_args, check_inputs, label_from_args
from ppdet_emotion.inference.crops import classify_crops, report_classifications
from ppdet_emotion.inference.models import exported_labeller, read_export_meta
from ppdet_emotion.inference.sources import photo_paths


@run
def main(argv=None):
    parser = add_infer_args(argparse.ArgumentParser(description=__doc__))
    parser.add_argument('--model_dir', required=True, help='folder written by tools/export_model.py')
    parser.add_argument('--no_onednn', action='store_true', help='plain CPU kernels')
    parser.add_argument('--threads', type=int, default=None,
                        help='CPU threads (default: OMP_NUM_THREADS, else every usable core)')
    args = parser.parse_args(argv)
    stream = check_inputs(args)
    meta = read_export_meta(args.model_dir)
    if args.ten_crop and meta['kind'] != 'classifier':
        raise ConfigError('--ten_crop: an exported detector or cascade fixes its crops when '
                          'exported; re-export a cascade with -o EmotionPostProcess.ten_crop=true')
    if args.boxes:
        raise ConfigError('--boxes classifies given faces with a cascade config: use tools/infer.py')
    predictor = open_predictor(args.model_dir, meta, not args.no_onednn, args.threads)
    if meta['kind'] == 'classifier':
        if stream:
            raise ConfigError('{!r} is an exported classifier of face crops: label videos with an '
                              'exported cascade'.format(args.model_dir))
        images = photo_paths(args.infer_img, args.infer_dir, args.infer_list)
        results = classify_crops(lambda faces: predictor({'image': faces})[0],
                                 FaceInputSpec.from_meta(meta, args.model_dir), images,
                                 args.ten_crop or None)
        report_classifications(results, args.output_dir, args.save_results)
        return 0
    return label_from_args(args, exported_labeller(predictor, meta, args.draw_threshold,
                                                   args.max_size), stream)


if __name__ == '__main__':
    main()
