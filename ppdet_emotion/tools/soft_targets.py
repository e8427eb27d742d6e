"""Write a soft-target table for offline distillation: the teachers' mean class probabilities
for every face of the config's TrainDataset (each face's ten crops averaged with --ten_crop).

    ppdet-emotion soft_targets -c fer2013_resnet18 --teachers W1.pdparams W2.pdparams --ten_crop
        --output soft_targets.npz -o TrainDataset.dataset_dir=ROOT

Then train with ``-o TrainDataset.soft_targets=soft_targets.npz EmotionHead.distill_weight=0.7``.
"""
import ppdet_emotion  # noqa: F401
from ppdet_emotion.data.soft_targets import save_soft_targets
from ppdet_emotion.engine.cli import base_parser, load_cfg, run
from ppdet_emotion.engine.distillation import TeacherEnsemble
from ppdet_emotion.engine.roles import CLASSIFIER, require_role
from ppdet_emotion.progress import Progress


@run
def main(argv=None):
    parser = base_parser(__doc__)
    parser.add_argument('--teachers', nargs='+', required=True, help='weights files of the '
                        'config\'s architecture')
    parser.add_argument('--ten_crop', action='store_true', help='average each face\'s ten crops')
    parser.add_argument('--output', required=True, help='the table to write (.npz)')
    args = parser.parse_args(argv)
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
    save_soft_targets(args.output, names, log_probs, args.teachers, args.ten_crop)
    print('{}: {} faces x {} classes from {} teacher(s){}'.format(
        args.output, len(names), log_probs.shape[1], len(args.teachers),
        ', ten crops' if args.ten_crop else ''))


if __name__ == '__main__':
    main()
