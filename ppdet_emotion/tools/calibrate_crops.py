"""Measure a cascade's crop calibration on FER2013 faces placed in larger pictures.

    python tools/calibrate_crops.py -c configs/emotion/default.yml --fer_dir ROOT/val [--every 1]
        [--output calibration.json]

Prints the FER frame around the detector's boxes (the values for ``EmotionPostProcess.crop_scale``
and ``crop_shift``) and the classifier's accuracy on the original FER crops vs on the cascade's
crops with the configured and with the measured calibration, on the faces the detector found.
"""
import ppdet_emotion  # noqa: F401
from ppdet_emotion.data.input_spec import FaceInputSpec
from ppdet_emotion.engine.calibrate import calibrate, fer_faces
from ppdet_emotion.engine.cli import base_parser, load_cfg, run
from ppdet_emotion.engine.model_loading import build_inference_model
from ppdet_emotion.engine.roles import CASCADE, require_role
from ppdet_emotion.errors import ConfigError
from ppdet_emotion.io import write_json


@run
def main(argv=None):
    parser = base_parser(__doc__)
    parser.add_argument('--fer_dir', required=True, help='a FER2013 split: <class>/*.jpg')
    parser.add_argument('--every', type=int, default=1, help='use every n-th face (a subset)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the placements')
    parser.add_argument('--output', help='write the results as JSON here')
    args = parser.parse_args(argv)
    if args.every < 1:
        raise ConfigError('--every: expected a positive step, got {}'.format(args.every))
    cfg = load_cfg(args.config, args.opt)
    require_role(cfg, CASCADE, 'calibration')
    faces = fer_faces(args.fer_dir, args.every)
    model, meta = build_inference_model(cfg)
    if not meta:
        raise ConfigError('calibration needs expression weights: set emotion_weights')
    model.eval()
    result = calibrate(model, cfg['TestReader']['sample_transforms'],
                       FaceInputSpec.from_meta(meta, cfg.emotion_weights), faces,
                       args.seed)
    result.update(config=args.config, overrides=args.opt, fer_dir=args.fer_dir, every=args.every)
    measured = result['measured']
    print('{} of {} faces detected'.format(result['detected'], result['faces']))
    print('FER frame in box units: crop_scale {} crop_shift {} (quartiles {})'.format(
        measured['crop_scale'], measured['crop_shift'], measured['quartiles']))
    print('| crops | top-1 on the detected faces |')
    print('|---|---|')
    for name, value in result['accuracy_on_detected'].items():
        print('| {} | {:.2%} |'.format(name, value))
    if args.output:
        write_json(args.output, result)


if __name__ == '__main__':
    main()
