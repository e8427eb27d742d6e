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
from ppdet_emotion.engine.cli import (add_infer_args, apply_override, base_parser,  # noqa: E402
                                      load_cfg, run)
from ppdet_emotion.engine.predict import (build_inference_model, classifier_forward,  # noqa: E402
                                          classify_crops, dygraph_forward, label_images,
                                          list_images, report_classifications, report_faces)
from ppdet_emotion.errors import ConfigError  # noqa: E402


@run
def main(argv=None):
    args = add_infer_args(base_parser(__doc__)).parse_args(argv)
    cfg = load_cfg(args.config, args.opt)
    if args.ten_crop and cfg.architecture == 'FaceEmotion':
        apply_override(cfg, [cfg['FaceEmotion']['post_process'], 'ten_crop'], True)
    elif args.ten_crop and cfg.architecture != 'EmotionClassifier':
        raise ConfigError('--ten_crop needs an expression classifier or a cascade config; '
                          '{} has no expression stage'.format(args.config))
    images = list_images(args.infer_img, args.infer_dir)
    model, meta = build_inference_model(cfg)
    if cfg.architecture == 'EmotionClassifier':
        results = classify_crops(classifier_forward(model), meta['input_spec'], meta['class_names'],
                                 images, args.ten_crop or None)
        report_classifications(results, args.output_dir, args.save_results)
        return
    if cfg.architecture == 'FaceEmotion' and not getattr(model, 'class_names', None):
        print('note: no expression weights loaded (-o emotion_weights=...): drawing faces only, '
              'without expression labels')
    results = label_images(dygraph_forward(model), cfg['TestReader']['sample_transforms'],
                           getattr(model, 'class_names', None), images, args.output_dir,
                           args.draw_threshold, args.save_results,
                           args.draw_landmarks)
    report_faces(results, args.output_dir)


if __name__ == '__main__':
    main()
