"""Merge a cascade's two stage checkpoints into one weights file.

    python tools/merge_cascade_weights.py -c configs/emotion/blazeface_fer2013.yml \
        -o detector_weights=D.pdparams emotion_weights=E.pdparams --output cascade.pdparams
"""

import ppdet_emotion  # noqa: F401
from ppdet_emotion.engine.checkpoint import read_meta, save_weights_file
from ppdet_emotion.engine.cli import base_parser, load_cfg, run
from ppdet_emotion.engine.model_loading import build_inference_model
from ppdet_emotion.engine.roles import CASCADE, require_role
from ppdet_emotion.errors import ConfigError


@run
def main(argv=None):
    parser = base_parser(__doc__)
    parser.add_argument('--output', required=True, help='merged .pdparams file to write')
    args = parser.parse_args(argv)
    cfg = load_cfg(args.config, args.opt)
    require_role(cfg, CASCADE, 'merging stage weights')
    if cfg.get('weights') or not cfg.get('detector_weights') or not cfg.get('emotion_weights'):
        raise ConfigError('a cascade config with detector_weights and emotion_weights (and no '
                          'merged `weights`) is needed')
    model, emotion_meta = build_inference_model(cfg)
    meta = {'architecture': cfg.architecture, 'config': cfg.filename, 'emotion': emotion_meta,
            'detector': read_meta(cfg.detector_weights),
            'sources': {'detector': cfg.detector_weights, 'emotion': cfg.emotion_weights}}
    path = save_weights_file(args.output, model.state_dict(), meta)
    print('merged weights: {}'.format(path))


if __name__ == '__main__':
    main()
