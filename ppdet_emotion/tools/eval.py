"""Evaluate weights on the EvalDataset: ``python tools/eval.py -c CONFIG -o weights=W``.

WIDER FACE configs give easy / medium / hard AP, at each image's own size or, with
``--multi_scale``, at several scales with the boxes merged."""

import ppdet_emotion  # noqa: F401
from ppdet_emotion.engine.cli import base_parser, load_cfg, run
from ppdet_emotion.engine.trainer import EmotionTrainer
from ppdet_emotion.errors import ConfigError
from ppdet_emotion.modeling.image_pyramid import MULTI_SCALES, MultiScaleDetector


def use_ten_crop(cfg):
    """Swap the EvalReader's CenterCropFace for TenCropFace of the same size."""
    transforms = cfg['EvalReader']['sample_transforms']
    for i, item in enumerate(transforms):
        if 'CenterCropFace' in item:
            transforms[i] = {'TenCropFace': dict(item['CenterCropFace'])}
            return
    raise ConfigError('--ten_crop: EvalReader.sample_transforms has no CenterCropFace to replace')


@run
def main(argv=None):
    parser = base_parser(__doc__)
    parser.add_argument('--output_eval', default='output', help='folder for eval_results.json '
                        'and the confusion-matrix picture')
    parser.add_argument('--ten_crop', action='store_true', help='average over ten crops '
                        '(classifier configs)')
    parser.add_argument('--multi_scale', type=float, nargs='*', metavar='SCALE', default=None,
                        help='WIDER FACE configs: run the detector at these scales (default {}) '
                        'and merge the boxes'.format(' '.join(map(str, MULTI_SCALES))))
    args = parser.parse_args(argv)
    scales = None if args.multi_scale is None else (args.multi_scale or list(MULTI_SCALES))
    cfg = load_cfg(args.config, args.opt, output_eval=args.output_eval, eval_scales=scales)
    if not cfg.get('weights'):
        raise ConfigError('no weights to evaluate: pass -o weights=PATH.pdparams')
    if args.ten_crop:
        use_ten_crop(cfg)
    if scales and cfg.metric != 'WiderFace':
        raise ConfigError('--multi_scale: only for WIDER FACE configs (metric: WiderFace)')
    if scales and (cfg['EvalReader'].get('batch_size', 1) != 1 or any(
            name.startswith(('Resize', 'Pad')) for item in cfg['EvalReader']['sample_transforms']
            for name in item)):
        raise ConfigError('--multi_scale needs EvalReader.batch_size 1 and no Resize or Pad op '
                          '(each image at its own size); CenterFace has its own test-time '
                          'scales: configs/face_detection/centerface_tta.yml')
    trainer = EmotionTrainer(cfg, mode='eval')
    trainer.load_weights_for_eval(cfg.weights)
    if scales:
        trainer.model = MultiScaleDetector(trainer.model, scales)
    trainer.evaluate()


if __name__ == '__main__':
    main()
