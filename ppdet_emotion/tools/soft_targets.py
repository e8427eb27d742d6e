"""Write a soft-target table for offline distillation: the teachers' mean class probabilities
for every face of the config's TrainDataset (each face's ten crops averaged with --ten_crop).

    ppdet-emotion soft_targets -c fer2013_resnet18 --teachers W1.pdparams W2.pdparams --ten_crop
        --output soft_targets.npz -o TrainDataset.dataset_dir=ROOT

Teachers of another layout get their own table, written with their config's overrides (e.g.
-o EmotionResNet.widths=[64,128,256,512]); --pool then merges tables into one, as if all their
teachers had been one ensemble:

    ppdet-emotion soft_targets --pool half.npz wide.npz --output pooled.npz

Then train with ``-o TrainDataset.soft_targets=soft_targets.npz EmotionHead.distill_weight=0.7``.
"""
import ppdet_emotion  # noqa: F401
from ppdet_emotion.data.soft_targets import pool_soft_targets, save_soft_targets
from ppdet_emotion.engine.cli import base_parser, load_cfg, run
from ppdet_emotion.engine.distillation import TeacherEnsemble
from ppdet_emotion.engine.roles import CLASSIFIER, require_role
from ppdet_emotion.progress import Progress


def teachers_table(args):
    """(names, log_probs) of the config's training faces under the teachers ``args.teachers``."""
    cfg = load_cfg(args.config, args.opt)
    require_role(cfg, CLASSIFIER, 'soft targets')
    dataset = cfg['TrainDataset']
    dataset.soft_targets = None  # the table being written is not an input
    dataset.check_or_download_dataset()
    dataset.parse_dataset()
    names = [record['im_file'] for record in dataset.roidbs]
    faces = [record['image'] for record in dataset.roidbs]
    teachers = TeacherEnsemble.from_weights(cfg, args.teachers)
    progress = Progress(len(faces) * len(args.teachers), 'soft targets', 'faces')
    log_probs = teachers.log_probs(faces, args.ten_crop, progress)
    progress.close()
    return names, log_probs


@run
def main(argv=None):
    parser = base_parser(__doc__, config_required=False)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument('--teachers', nargs='+', help='weights files of the config\'s architecture')
    source.add_argument('--pool', nargs='+', metavar='TABLE', help='tables to merge (no -c)')
    parser.add_argument('--ten_crop', action='store_true', help='average each face\'s ten crops')
    parser.add_argument('--output', required=True, help='the table to write (.npz)')
    args = parser.parse_args(argv)
    if args.pool:
        if args.config or args.opt or args.ten_crop:
            parser.error('--pool merges written tables: -c, -o and --ten_crop do not apply')
        names, log_probs, teachers, ten_crop = pool_soft_targets(args.pool)
    else:
        if not args.config:
            parser.error('--teachers needs -c/--config: the config of their architecture')
        (names, log_probs), teachers, ten_crop = teachers_table(args), args.teachers, args.ten_crop
    save_soft_targets(args.output, names, log_probs, teachers, ten_crop)
    print('{}: {} faces x {} classes from {} teacher(s){}'.format(
        args.output, len(names), log_probs.shape[1], len(teachers),
        ', ten crops' if ten_crop else ''))


if __name__ == '__main__':
    main()
