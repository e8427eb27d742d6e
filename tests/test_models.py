"""Every registered module can be created from our YAML configs and gives the right outputs."""
import subprocess
import sys

import numpy as np
import paddle
import pytest

from conftest import REPO
from ppdet_emotion.metrics.expression import confusion_matrix, format_table, summarize
from ppdet_emotion.modeling.backbones.distresnet import DistResNet
from ppdet_emotion.modeling.heads.emotion_head import EmotionHead

BUILD = """
import sys, numpy as np, paddle, ppdet_emotion
from ppdet.core.workspace import create
from ppdet_emotion.engine.cli import load_cfg
cfg = load_cfg(sys.argv[1])
model = create(cfg.architecture)
create('OptimizerBuilder')(create('LearningRate')(10), model)  # the config's optimizer builds
model.eval()
size = cfg['EvalReader']['sample_transforms'][1]['ResizeFace']['size']
for item in cfg['EvalReader']['sample_transforms']:
    size = item.get('CenterCropFace', {}).get('size', size)
ch = cfg['EvalReader']['sample_transforms'][0]['DecodeFace']['channels']
out = model({'image': paddle.rand([2, ch, size, size]), 'im_shape': paddle.ones([2, 2]),
             'scale_factor': paddle.ones([2, 2])})
print(type(model.backbone).__name__, tuple(out['probs'].shape), float(out['probs'].sum()))
"""


@pytest.mark.parametrize('config, backbone', [
    ('fer2013_resnet18', 'EmotionResNet'), ('fer2013_resnet34', 'EmotionResNet'),
    ('fer2013_vgg16', 'EmotionVGG'), ('fer2013_distresnet', 'DistResNet')])
def test_config_builds_and_predicts(config, backbone):
    proc = subprocess.run([sys.executable, '-c', BUILD, '{}/configs/emotion/{}.yml'.format(REPO, config)],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    name, shape, total = proc.stdout.split()[-4], proc.stdout.split()[-3:-1], proc.stdout.split()[-1]
    assert name == backbone
    assert ''.join(shape) == '(2,7)'
    assert float(total) == pytest.approx(2.0, abs=1e-4)


def test_distresnet_layout():
    net = DistResNet()
    convs = [p for n, p in net.named_parameters() if n.endswith('weight') and len(p.shape) == 4]
    assert convs[0].shape == [16, 1, 3, 3]
    assert net.out_shape[0].channels == 256
    feats = net({'image': paddle.rand([1, 1, 128, 128])})
    assert feats.shape == [1, 256, 4, 4]
    last_bns = [p for n, p in net.named_parameters() if n.endswith('body.4.1.weight')]
    assert len(last_bns) == 15 and all(float(p.abs().sum()) == 0 for p in last_bns)


def test_head_loss_smoothing_and_class_weights():
    paddle.seed(0)
    head = EmotionHead(num_classes=3, in_channels=4, class_weights=[1.0, 0.0, 0.0])
    feats, labels = paddle.rand([4, 4]), paddle.to_tensor([[0], [1], [2], [1]])
    logits = head(feats)
    only_first = float(head.get_loss(logits, labels))
    expected = -float(paddle.nn.functional.log_softmax(logits, -1)[0, 0])
    assert only_first == pytest.approx(expected, rel=1e-5)
    smooth = EmotionHead(num_classes=3, in_channels=4, label_smoothing=1.0)
    smooth.fc.weight.set_value(head.fc.weight)
    smooth.fc.bias.set_value(head.fc.bias)
    uniform = -float(paddle.nn.functional.log_softmax(logits, -1).mean(-1).mean())
    assert float(smooth.get_loss(logits, labels)) == pytest.approx(uniform, rel=1e-5)


def test_head_loss_mixes_labels_with_the_teachers_soft_targets():
    paddle.seed(0)
    head = EmotionHead(num_classes=3, in_channels=4, distill_weight=0.75, distill_temperature=2.0)
    logits, teacher = paddle.rand([4, 3]) * 4, paddle.rand([4, 3]) * 4
    labels = paddle.to_tensor([[0], [1], [2], [1]])
    s, t, y = logits.numpy(), teacher.numpy(), labels.numpy().ravel()

    def log_softmax(x):
        return x - x.max(-1, keepdims=True) - np.log(np.exp(x - x.max(-1, keepdims=True)).sum(
            -1, keepdims=True))
    hard = -log_softmax(s)[np.arange(4), y]
    soft = (np.exp(log_softmax(t / 2)) * (log_softmax(t / 2) - log_softmax(s / 2))).sum(-1) * 4
    expected = (0.25 * hard + 0.75 * soft).mean()
    assert float(head.get_loss(logits, labels, teacher_logits=teacher)) == pytest.approx(
        expected, rel=1e-5)
    assert float(head.get_loss(logits, labels)) == pytest.approx(hard.mean(), rel=1e-5)
    # a student that matches its teacher pays only for the labels
    matched = float(head.get_loss(teacher, labels, teacher_logits=teacher))
    assert matched == pytest.approx(0.25 * float(head.get_loss(teacher, labels)), rel=1e-5)


def test_metric_summary_on_a_known_matrix():
    matrix = confusion_matrix([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], 3)
    assert matrix.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    results = summarize(matrix, ['a', 'b', 'c'])
    assert results['top1_acc'] == pytest.approx(0.6)
    assert results['per_class_recall'] == {'a': 0.5, 'b': 1.0, 'c': 0.0}
    assert results['mean_recall'] == pytest.approx(0.5)
    assert 'top-1 accuracy 0.6000' in format_table(results)
    assert np.asarray(results['confusion_matrix']).sum() == 5
