"""Train a model from a config: ``python tools/train.py -c CONFIG [--eval] [-r CKPT] [-o k=v]``."""

import ppdet_emotion  # noqa: F401  (registers our modules before the config is read)
from ppdet_emotion.engine.checkpoint import load_state, load_weights_strict
from ppdet_emotion.engine.cli import base_parser, load_cfg, run
from ppdet_emotion.engine.trainer import EmotionTrainer, seed_everything


@run
def main(argv=None):
    parser = base_parser(__doc__)
    parser.add_argument('--eval', action='store_true', help='evaluate after each snapshot epoch '
                        'and keep the best checkpoint as best_model')
    parser.add_argument('-r', '--resume', default=None, help='checkpoint to resume (weights, '
                        'optimizer state and epoch), e.g. output/CONFIG/9')
    parser.add_argument('--use_vdl', action='store_true', help='log scalars to VisualDL')
    parser.add_argument('--vdl_log_dir', default='vdl_log_dir/scalar', help='VisualDL log folder')
    args = parser.parse_args(argv)
    cfg = load_cfg(args.config, args.opt, use_vdl=args.use_vdl, vdl_log_dir=args.vdl_log_dir)
    if cfg.get('seed') is not None:
        seed_everything(cfg.seed)
    if cfg.get('pretrain_weights'):
        load_state(cfg.pretrain_weights)  # a clear error for a URL, a missing or unreadable file
    trainer = EmotionTrainer(cfg, mode='train')
    if args.resume:
        load_weights_strict(trainer.model, args.resume)  # a clear error if it does not fit
        trainer.resume_weights(args.resume)
    elif cfg.get('pretrain_weights'):
        trainer.load_weights(cfg.pretrain_weights)
    trainer.train(validate=args.eval)


if __name__ == '__main__':
    main()
