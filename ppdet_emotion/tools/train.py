"""Train a model from a config: ``python tools/train.py -c CONFIG [--eval] [-r CKPT] [-o k=v]``.

Several processes (GPUs, or CPU processes with gloo) as in PaddleDetection:
``python -m paddle.distributed.launch --gpus 0,1,2,3 tools/train.py -c CONFIG --eval``; the batch
size is per process, and only the first process writes checkpoints, curves and logs.
"""
import os

import ppdet_emotion  # noqa: F401  (registers our modules before the config is read)
from ppdet_emotion.engine import distributed
from ppdet_emotion.engine.checkpoint import load_state
from ppdet_emotion.engine.cli import base_parser, load_cfg, run
from ppdet_emotion.engine.seeding import seed_everything
from ppdet_emotion.engine.trainer import EmotionTrainer


@run
def main(argv=None):
    parser = base_parser(__doc__)
    parser.add_argument('--eval', action='store_true', help='evaluate after each snapshot epoch '
                        'and keep the best checkpoint as best_model')
    parser.add_argument('-r', '--resume', default=None, help='checkpoint to resume (weights, '
                        'optimizer state and epoch), e.g. output/CONFIG/9')
    parser.add_argument('--allow_partial', action='store_true',
                        help='load pretrain_weights even where layers are missing or of another '
                             'shape (e.g. a new head); each one is named in the log')
    parser.add_argument('--use_vdl', action='store_true', help='log scalars to VisualDL')
    parser.add_argument('--vdl_log_dir', default=None,
                        help='VisualDL log folder (default: the run\'s folder/vdl)')
    args = parser.parse_args(argv)
    cfg = load_cfg(args.config, args.opt, use_vdl=args.use_vdl,
                   allow_partial=args.allow_partial or None)
    cfg['vdl_log_dir'] = args.vdl_log_dir or os.path.join(cfg.save_dir, cfg.filename, 'vdl')
    distributed.init_processes()
    if cfg.get('seed') is not None:
        seed_everything(cfg.seed)
    if cfg.get('pretrain_weights'):
        load_state(cfg.pretrain_weights)  # a clear error for a URL, a missing or unreadable file
    trainer = EmotionTrainer(cfg, mode='train')
    if args.resume:
        trainer.resume_weights(args.resume)
    elif cfg.get('pretrain_weights'):
        trainer.load_weights(cfg.pretrain_weights)
    trainer.train(validate=args.eval)


if __name__ == '__main__':
    main()
