"""Run a model on photos.

Cascade or face-detector config: writes the detection picture with each face's box and label to
``--output_dir`` and, with ``--save_results``, one JSON per image. Classifier config: classifies
face crops and prints each image's top class and probabilities.

    python tools/infer.py -c configs/emotion/blazeface_fer2013.yml --infer_img=photo.jpg
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ppdet_emotion  # noqa: E402,F401
from ppdet_emotion.engine.cli import base_parser, load_cfg, run  # noqa: E402
from ppdet_emotion.engine.predict import (build_inference_model, classify_crops,  # noqa: E402
                                          list_images, run_cascade)
from ppdet_emotion.errors import WeightsError  # noqa: E402
from ppdet_emotion.io import write_json  # noqa: E402


def print_classification(result):
    probs = ', '.join('{} {:.3f}'.format(k, v) for k, v in result['probabilities'].items())
    print('{}: {} {:.3f} ({})'.format(result['image'], result['expression'], result['score'], probs))


def print_faces(path, faces, output_dir):
    print('{}: {} face(s) -> {}'.format(path, len(faces), os.path.join(output_dir, os.path.basename(path))))
    for face in faces:
        label = face.get('expression', 'face')
        print('  [{}] {} {:.2f} (face score {:.2f})'.format(
            ', '.join('{:.0f}'.format(v) for v in face['bbox']), label,
            face.get('expression_score', face['score']), face['score']))


@run
def main(argv=None):
    parser = base_parser(__doc__)
    parser.add_argument('--infer_img', default=None, help='an image file')
    parser.add_argument('--infer_dir', default=None, help='a folder of images')
    parser.add_argument('--output_dir', default='output', help='where pictures and JSON go')
    parser.add_argument('--draw_threshold', type=float, default=0.5,
                        help='faces with a lower detector score are not drawn or saved')
    parser.add_argument('--save_results', action='store_true', help='write JSON results')
    parser.add_argument('--ten_crop', action='store_true', help='classifier: ten-crop averaging')
    args = parser.parse_args(argv)
    cfg = load_cfg(args.config, args.opt)
    images = list_images(args.infer_img, args.infer_dir)
    model, meta = build_inference_model(cfg)
    if cfg.architecture == 'EmotionClassifier':
        if not meta.get('input_spec'):
            raise WeightsError('weights {!r} carry no input spec / class names'.format(cfg.weights))
        results = classify_crops(model, meta, images, args.ten_crop or None)
        for result in results:
            print_classification(result)
        if args.save_results:
            path = os.path.join(args.output_dir, 'classification_results.json')
            write_json(path, results)
            print('results: {}'.format(path))
        return
    if cfg.architecture == 'FaceEmotion' and not getattr(model, 'class_names', None):
        print('note: no expression weights loaded (-o emotion_weights=...): drawing faces only, '
              'without expression labels')
    results = run_cascade(model, cfg['TestReader']['sample_transforms'], images, args.output_dir,
                          args.draw_threshold, args.save_results)
    for path, faces in results:
        print_faces(path, faces, args.output_dir)


if __name__ == '__main__':
    main()
