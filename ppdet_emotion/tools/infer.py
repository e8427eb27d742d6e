"""Label photos, a folder, a list of images, a video or a camera with a config's model.

Cascade or face-detector config: writes each photo with its faces boxed and labelled to
``--output_dir`` (a video: the labelled video, each face with its track id); ``--save_results``
adds the data (JSON per photo and faces.csv; for a video, a CSV and JSON lines per frame and a
plot of each track's expressions). Classifier config: classifies face-crop files and prints each
one's top class and probabilities.

    python tools/infer.py -c configs/emotion/default.yml --infer_img=photo.jpg
    python tools/infer.py -c configs/emotion/default.yml --video_file=clip.mp4 --save_results
"""

import ppdet_emotion  # noqa: F401
from ppdet_emotion.engine.cli import (apply_override, base_parser,
                                      load_cfg, run)
from ppdet_emotion.data.input_spec import FaceInputSpec
from ppdet_emotion.errors import ConfigError
from ppdet_emotion.inference.command import add_infer_args, check_inputs, label_from_args
from ppdet_emotion.inference.crops import (classifier_forward, classify_crops,
                                           report_classifications)
from ppdet_emotion.engine.model_loading import build_inference_model
from ppdet_emotion.engine.roles import CASCADE, CLASSIFIER, architecture_role
from ppdet_emotion.inference.models import dygraph_labeller
from ppdet_emotion.inference.sources import photo_paths


@run
def main(argv=None):
    args = add_infer_args(base_parser(__doc__)).parse_args(argv)
    stream = check_inputs(args)
    cfg = load_cfg(args.config, args.opt)
    role = architecture_role(cfg)
    if args.ten_crop and role == CASCADE:
        apply_override(cfg, [cfg[cfg.architecture]['post_process'], 'ten_crop'], True)
    elif args.ten_crop and role != CLASSIFIER:
        raise ConfigError('--ten_crop needs an expression classifier or a cascade config; '
                          '{} has no expression stage'.format(args.config))
    classifier = role == CLASSIFIER
    if classifier and (stream or args.boxes):
        raise ConfigError('{} is a classifier of face crops: label videos and given boxes with a '
                          'cascade config'.format(args.config))
    images = photo_paths(args.infer_img, args.infer_dir, args.infer_list) if classifier else None
    model, meta = build_inference_model(cfg)
    if classifier:
        results = classify_crops(classifier_forward(model), FaceInputSpec.from_meta(meta, cfg.weights),
                                 images, args.ten_crop or None)
        report_classifications(results, args.output_dir, args.save_results)
        return 0
    if role == CASCADE and not getattr(model, 'class_names', None):
        print('note: no expression weights loaded (-o emotion_weights=...): drawing faces only, '
              'without expression labels')
    labeller = dygraph_labeller(model, cfg['TestReader']['sample_transforms'], args.draw_threshold,
                                args.max_size)
    return label_from_args(args, labeller, stream)


if __name__ == '__main__':
    main()
