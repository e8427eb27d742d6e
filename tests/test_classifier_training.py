"""Stage 2 end to end through the tools: train, eval, resume, infer on face crops."""
import json
import os

import numpy as np
import paddle
import pytest

from conftest import assert_clean_error, run_tool, write_tiny_config
from ppdet_emotion.engine.checkpoint import read_meta

pytestmark = pytest.mark.tools


def test_training_lowers_loss_and_beats_chance(trained):
    history = trained['history']
    assert history['loss'][-1] < 0.7 * history['loss'][0]
    best = max(e['value'] for e in history['eval'])
    assert best > 0.6  # chance is 1/7
    assert 'eta:' in trained['log']
    for name in ('best_model.pdparams', 'model_final.pdparams', 'model_final.pdopt',
                 'training_curves.png', 'confusion_matrix.png', 'eval_results.json'):
        assert os.path.isfile(os.path.join(trained['out'], name)), name
    assert not [f for f in os.listdir(trained['out']) if '.tmp' in f]


def test_checkpoint_carries_classes_and_input_spec(trained):
    meta = read_meta(os.path.join(trained['out'], 'best_model.pdparams'))
    assert meta['class_names'] == ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral']
    assert meta['input_spec'] == {'channels': 1, 'resize': 48, 'crop': 40, 'ten_crop': False,
                                  'mean': [0.5], 'std': [0.25]}
    assert meta['architecture'] == 'EmotionClassifier'
    assert meta['best']['key'] == 'top1_acc'
    assert meta['metrics']['top1_acc'] == meta['best']['value']  # its own evaluation's figures


def test_eval_reproduces_best_accuracy(trained, tmp_path):
    best = os.path.join(trained['out'], 'best_model.pdparams')
    proc = run_tool('eval', '-c', trained['config'], '-o', 'weights=' + best,
                    '--output_eval', str(tmp_path), cwd=trained['folder'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    with open(tmp_path / 'eval_results.json') as f:
        results = json.load(f)
    assert results['top1_acc'] == pytest.approx(read_meta(best)['metrics']['top1_acc'], abs=1e-6)
    assert set(results) >= {'mean_recall', 'per_class_recall', 'confusion_matrix'}
    assert (tmp_path / 'confusion_matrix.png').stat().st_size > 1000
    assert 'top-1 accuracy' in proc.stdout + proc.stderr


def test_release_weights_halve_the_file_and_keep_accuracy(trained, tmp_path):
    best = os.path.join(trained['out'], 'best_model.pdparams')
    proc = run_tool('eval', '-c', trained['config'], '-o', 'weights=' + best,
                    '--output_eval', str(tmp_path / 'best'), cwd=trained['folder'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    release = str(tmp_path / 'release.pdparams')
    proc = run_tool('release_weights', '--weights', best, '--output', release, '--eval_results',
                    str(tmp_path / 'best' / 'eval_results.json'), '--command', 'train tiny',
                    '--training_hours', '0.01', cwd=trained['folder'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert os.path.getsize(release) < 0.6 * os.path.getsize(best)
    meta = read_meta(release)
    assert meta['class_names'] == read_meta(best)['class_names']
    assert meta['release']['trained_by'] == 'train tiny'
    assert meta['release']['val']['single_crop']['top1_acc'] == pytest.approx(meta['metrics']['top1_acc'])
    proc = run_tool('eval', '-c', trained['config'], '-o', 'weights=' + release,
                    '--output_eval', str(tmp_path / 'eval'), cwd=trained['folder'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    with open(tmp_path / 'eval' / 'eval_results.json') as f:
        assert json.load(f)['top1_acc'] == pytest.approx(meta['metrics']['top1_acc'], abs=0.02)


def test_release_needs_the_eval_results_of_these_weights(trained, tmp_path):
    best = os.path.join(trained['out'], 'best_model.pdparams')
    other = tmp_path / 'other.json'
    top1 = read_meta(best)['metrics']['top1_acc']
    other.write_text(json.dumps({'top1_acc': top1 - 0.1, 'mean_recall': 0.5, 'num_samples': 42}))
    for results, fragments in ((tmp_path / 'missing.json', ('missing.json', 'eval_results.json')),
                               (other, ('--eval_results gives top1_acc', 'best_model.pdparams'))):
        proc = run_tool('release_weights', '--weights', best, '--output', str(tmp_path / 'r.pdparams'),
                        '--eval_results', str(results), '--command', 'x', '--training_hours', '1',
                        cwd=trained['folder'])
        assert_clean_error(proc, *fragments)
    assert os.listdir(tmp_path) == ['other.json']


def test_ten_crop_eval_option(trained, tmp_path):
    best = os.path.join(trained['out'], 'best_model.pdparams')
    proc = run_tool('eval', '-c', trained['config'], '-o', 'weights=' + best, '--ten_crop',
                    '--output_eval', str(tmp_path), cwd=trained['folder'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    with open(tmp_path / 'eval_results.json') as f:
        assert json.load(f)['top1_acc'] > 0.5


def test_infer_on_face_crops(trained, fer_data, tmp_path):
    best = os.path.join(trained['out'], 'best_model.pdparams')
    crops = os.path.join(fer_data, 'val', 'happy')
    proc = run_tool('infer', '-c', trained['config'], '-o', 'weights=' + best, '--infer_dir', crops,
                    '--save_results', '--output_dir', str(tmp_path), cwd=trained['folder'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    with open(tmp_path / 'classification_results.json') as f:
        results = json.load(f)
    assert len(results) == 6
    assert sum(r['expression'] == 'happy' for r in results) >= 4
    for r in results:
        assert sum(r['probabilities'].values()) == pytest.approx(1.0, abs=1e-3)
    assert 'happy' in proc.stdout


@pytest.mark.parametrize('override, fragment', [
    ('EmotionHead.num_classes=seven', 'EmotionHead.num_classes'),
    ('EmotionClassifier.backbone=ResNet99', "EmotionClassifier.backbone: unknown module 'ResNet99'"),
    pytest.param('use_gpu=true', 'use_gpu: true, but this paddle build has no CUDA',
                 marks=pytest.mark.skipif(paddle.is_compiled_with_cuda(), reason='a CUDA build')),
])
def test_bad_config_values_are_clear_errors(trained, override, fragment):
    proc = run_tool('train', '-c', trained['config'], '-o', override, cwd=trained['folder'])
    assert_clean_error(proc, fragment)


def test_a_student_distilled_from_teachers_loads_as_a_plain_classifier(trained, fer_data,
                                                                        tmp_path):
    best = os.path.join(trained['out'], 'best_model.pdparams')
    config = write_tiny_config(str(tmp_path), fer_data, epoch=1)
    distill = ['distill_teachers=[{0},{0}]'.format(best), 'EmotionHead.distill_weight=0.7',
               'EmotionHead.distill_temperature=3']
    proc = run_tool('train', '-c', config, '-o', *distill, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    student = tmp_path / 'output' / 'tiny' / 'model_final.pdparams'
    proc = run_tool('eval', '-c', config, '-o', 'weights=' + str(student), cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'top-1 accuracy' in proc.stdout + proc.stderr


@pytest.mark.parametrize('override, fragment', [
    (['distill_teachers=[{best}]'], 'EmotionHead.distill_weight is 0'),
    (['EmotionHead.distill_weight=0.5'], 'distill_teachers lists no weights files'),
    (['distill_teachers=[nowhere.pdparams]', 'EmotionHead.distill_weight=0.5'], 'nowhere.pdparams'),
    (['EmotionHead.distill_weight=1.0'], 'EmotionHead.distill_weight: expected a number in [0, 1)'),
])
def test_distillation_settings_that_do_not_fit_are_clear_errors(trained, override, fragment):
    best = os.path.join(trained['out'], 'best_model.pdparams')
    proc = run_tool('train', '-c', trained['config'], '-o',
                    *[o.format(best=best) for o in override], cwd=trained['folder'])
    assert_clean_error(proc, fragment)


@pytest.fixture(scope='module')
def soft_table(trained):
    """The trained classifier's ten-crop soft targets for its own training set, by the tool."""
    best = os.path.join(trained['out'], 'best_model.pdparams')
    table = os.path.join(trained['folder'], 'soft_targets.npz')
    proc = run_tool('soft_targets', '-c', trained['config'], '--teachers', best, best,
                    '--ten_crop', '--output', table, cwd=trained['folder'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert '112 faces x 7 classes from 2 teacher(s), ten crops' in proc.stdout
    return table


def test_soft_target_table_holds_the_teachers_probabilities_for_every_face(soft_table):
    with np.load(soft_table) as table:
        names, log_probs = [str(n) for n in table['names']], table['log_probs']
    assert len(set(names)) == 112 and log_probs.shape == (112, 7)
    np.testing.assert_allclose(np.exp(log_probs).sum(1), 1.0, rtol=1e-4)
    classes = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral']
    labels = np.array([classes.index(n.split('/')[0]) for n in names])
    assert (log_probs.argmax(1) == labels).mean() > 0.6  # the teacher's knowledge, not noise


def test_pooled_table_keeps_the_faces_and_counts_every_teacher(soft_table, tmp_path):
    pooled = str(tmp_path / 'pooled.npz')
    proc = run_tool('soft_targets', '--pool', soft_table, soft_table, '--output', pooled,
                    cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert '112 faces x 7 classes from 4 teacher(s), ten crops' in proc.stdout
    with np.load(soft_table) as table, np.load(pooled) as merged:
        np.testing.assert_array_equal(merged['names'], table['names'])
        np.testing.assert_allclose(merged['log_probs'], table['log_probs'], atol=1e-5)
    proc = run_tool('soft_targets', '--teachers', 'a.pdparams', '--output', pooled,
                    cwd=str(tmp_path))
    assert_clean_error(proc, '--teachers needs -c/--config')


def test_a_student_distilled_from_a_soft_target_table_loads_as_a_plain_classifier(
        soft_table, fer_data, tmp_path):
    config = write_tiny_config(str(tmp_path), fer_data, epoch=1)
    proc = run_tool('train', '-c', config, '-o', 'TrainDataset.soft_targets=' + soft_table,
                    'EmotionHead.distill_weight=0.7', 'EmotionHead.distill_temperature=3',
                    cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    student = tmp_path / 'output' / 'tiny' / 'model_final.pdparams'
    proc = run_tool('eval', '-c', config, '-o', 'weights=' + str(student), cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]


@pytest.mark.parametrize('override, fragment', [
    (['TrainDataset.soft_targets={table}'], 'TrainDataset.soft_targets is set but '
                                            'EmotionHead.distill_weight is 0'),
    (['TrainDataset.soft_targets=nowhere.npz', 'EmotionHead.distill_weight=0.5'], 'nowhere.npz'),
    (['TrainDataset.soft_targets={table}', 'distill_teachers=[{best}]',
      'EmotionHead.distill_weight=0.5'], 'expected one source of soft targets'),
    (['TrainDataset.soft_targets={table}', 'EmotionHead.distill_weight=0.5',
      'TrainReader.batch_transforms=[{MixFaces: {mode: mixup}}]'], 'expected no MixFaces'),
])
def test_soft_target_settings_that_do_not_fit_are_clear_errors(trained, soft_table, override,
                                                               fragment):
    best = os.path.join(trained['out'], 'best_model.pdparams')
    proc = run_tool('train', '-c', trained['config'], '-o',
                    *[o.replace('{best}', best).replace('{table}', soft_table) for o in override],
                    cwd=trained['folder'])
    assert_clean_error(proc, fragment)


def test_missing_dataset_root_is_a_clear_error(trained, tmp_path):
    proc = run_tool('train', '-c', trained['config'], '-o',
                    'TrainDataset.dataset_dir=' + str(tmp_path / 'nowhere'), cwd=trained['folder'])
    assert_clean_error(proc, str(tmp_path / 'nowhere'))


def test_eval_with_weights_of_another_shape_is_a_clear_error(trained, fer_data, tmp_path):
    other = write_tiny_config(str(tmp_path), fer_data, name='wide.yml')
    best = os.path.join(trained['out'], 'best_model.pdparams')
    proc = run_tool('eval', '-c', other, '-o', 'weights=' + best, 'EmotionResNet.widths=[16,32,64,128]',
                    cwd=str(tmp_path))
    assert_clean_error(proc, 'does not fit the model', 'best_model.pdparams')


def test_exported_classifier_agrees_with_infer(trained, fer_data, tmp_path):
    best = os.path.join(trained['out'], 'best_model.pdparams')
    proc = run_tool('export_model', '-c', trained['config'], '-o', 'weights=' + best,
                    '--output_dir', str(tmp_path / 'export'), cwd=trained['folder'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    crops = os.path.join(fer_data, 'val', 'sad')
    outputs = []
    for tool, args in (('infer', ['-c', trained['config'], '-o', 'weights=' + best]),
                       ('predict_exported', ['--model_dir', str(tmp_path / 'export' / 'tiny')])):
        out = tmp_path / tool
        proc = run_tool(tool, *args, '--infer_dir', crops, '--ten_crop', '--save_results',
                        '--output_dir', str(out), cwd=trained['folder'])
        assert proc.returncode == 0, proc.stderr[-2000:]
        with open(out / 'classification_results.json') as f:
            outputs.append(json.load(f))
    for a, b in zip(*outputs):
        assert a['expression'] == b['expression']
        for name in a['probabilities']:
            assert a['probabilities'][name] == pytest.approx(b['probabilities'][name], abs=2e-3)
