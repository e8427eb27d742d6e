"""FER2013 sources, face transforms and batch mixing."""
import os
import shutil

import cv2
import numpy as np
import pytest

from ppdet_emotion.data.batch_mixing import MixFaces
from ppdet_emotion.data.soft_targets import pool_soft_targets, save_soft_targets
from ppdet_emotion.data.sources import FER2013CsvDataSet, FERFolderDataSet
from ppdet_emotion.data.input_spec import FaceInputSpec
from ppdet_emotion.data.transforms import (NormalizeFace, RandomCropFace, TenCropFace,
                                           preprocess_faces)
from ppdet_emotion.errors import ConfigError, DataError, WeightsError
from ppdet_emotion.modeling.heads.emotion_head import EmotionHead


def parsed(dataset):
    dataset.check_or_download_dataset()
    dataset.parse_dataset()
    return dataset.roidbs


def samples(dataset):
    return [(int(r['gt_class'][0]), r['image'].tobytes()) for r in parsed(dataset)]


def test_folder_and_csv_sources_yield_the_same_faces(fer_data):
    for split, usage in (('train', 'Training'), ('val', 'PublicTest')):
        folder = samples(FERFolderDataSet(dataset_dir=fer_data, image_dir=split))
        table = samples(FER2013CsvDataSet(dataset_dir=fer_data, usage=usage))
        assert sorted(folder) == sorted(table)
        assert len(folder) == {'train': 16, 'val': 6}[split] * 7


def copy_split(fer_data, tmp_path):
    root = tmp_path / 'fer'
    shutil.copytree(os.path.join(fer_data, 'val'), root / 'val')
    return root


def folder_error(root):
    with pytest.raises(DataError) as err:
        samples(FERFolderDataSet(dataset_dir=str(root), image_dir='val'))
    return str(err.value)


def test_unknown_class_folder_is_named(fer_data, tmp_path):
    root = copy_split(fer_data, tmp_path)
    shutil.copytree(root / 'val' / 'happy', root / 'val' / 'contempt')
    message = folder_error(root)
    assert 'contempt' in message and 'neutral' in message


def test_empty_class_folder_is_named(fer_data, tmp_path):
    root = copy_split(fer_data, tmp_path)
    for f in os.listdir(root / 'val' / 'sad'):
        os.remove(root / 'val' / 'sad' / f)
    assert 'sad' in folder_error(root) and 'no images' in folder_error(root)


def test_unreadable_image_is_named(fer_data, tmp_path):
    root = copy_split(fer_data, tmp_path)
    (root / 'val' / 'fear' / 'broken.png').write_bytes(b'not a png')
    assert 'broken.png' in folder_error(root)


def test_missing_split_folder_is_named(tmp_path):
    (tmp_path / 'fer').mkdir()
    assert 'val' in folder_error(tmp_path / 'fer')


@pytest.mark.parametrize('row, fragment', [
    ('3,1 2 3,Training', 'expected 2304 pixel values'),
    ('x,' + ' '.join(['0'] * 2304) + ',Training', 'malformed row'),
    ('9,' + ' '.join(['0'] * 2304) + ',Training', 'emotion 9 outside'),
])
def test_malformed_csv_row_names_its_line(tmp_path, row, fragment):
    good = '0,' + ' '.join(['7'] * 2304) + ',Training'
    (tmp_path / 'fer2013.csv').write_text('emotion,pixels,Usage\n{}\n{}\n'.format(good, row))
    with pytest.raises(DataError) as err:
        samples(FER2013CsvDataSet(dataset_dir=str(tmp_path)))
    assert 'line 3' in str(err.value) and fragment in str(err.value)


def test_bad_usage_and_bad_types_are_config_errors():
    with pytest.raises(DataError, match='PublicTest'):
        FER2013CsvDataSet(usage='Validation')
    with pytest.raises(ConfigError, match='FERFolderDataSet.sample_num'):
        FERFolderDataSet(sample_num='all')


def test_faces_get_their_own_soft_target_rows_whatever_the_table_order(fer_data, tmp_path):
    names = [r['im_file'] for r in parsed(FERFolderDataSet(dataset_dir=fer_data, image_dir='val'))]
    rows = np.log(np.random.RandomState(0).dirichlet(np.ones(7), len(names))).astype(np.float32)
    table = str(tmp_path / 'soft.npz')
    save_soft_targets(table, names[::-1], rows[::-1], ['teacher.pdparams'], ten_crop=True)
    dataset = parsed(FERFolderDataSet(dataset_dir=fer_data, image_dir='val', soft_targets=table))
    np.testing.assert_array_equal(np.stack([r['soft_target'] for r in dataset]), rows)

    save_soft_targets(table, names[1:], rows[1:], ['teacher.pdparams'], ten_crop=True)
    with pytest.raises(DataError, match="soft.npz lacks 1 of the data set's 42 faces"):
        parsed(FERFolderDataSet(dataset_dir=fer_data, image_dir='val', soft_targets=table))
    save_soft_targets(table, names, rows[:, :5], ['teacher.pdparams'], ten_crop=True)
    with pytest.raises(DataError, match='soft.npz has rows of 5 classes; the data set has 7'):
        parsed(FERFolderDataSet(dataset_dir=fer_data, image_dir='val', soft_targets=table))
    (tmp_path / 'junk.npz').write_text('not a table')
    with pytest.raises(DataError, match='junk.npz is not a soft-target table'):
        parsed(FERFolderDataSet(dataset_dir=fer_data, image_dir='val',
                                soft_targets=str(tmp_path / 'junk.npz')))


def test_pooled_tables_average_every_teacher_whatever_the_face_order(tmp_path):
    names = ['happy/{}.jpg'.format(i) for i in range(5)]
    rng = np.random.RandomState(0)
    probs_a, probs_b = rng.dirichlet(np.ones(7), 5), rng.dirichlet(np.ones(7), 5)
    one, two = str(tmp_path / 'one.npz'), str(tmp_path / 'two.npz')
    save_soft_targets(one, names, np.log(probs_a), ['a.pdparams'], ten_crop=True)
    save_soft_targets(two, names[::-1], np.log(probs_b[::-1]), ['b.pdparams', 'c.pdparams'],
                      ten_crop=True)
    pooled_names, log_probs, teachers, ten_crop = pool_soft_targets([one, two])
    assert pooled_names == names and ten_crop
    assert teachers == ['a.pdparams', 'b.pdparams', 'c.pdparams']
    np.testing.assert_allclose(np.exp(log_probs), (probs_a + 2 * probs_b) / 3, rtol=1e-5)

    save_soft_targets(two, names[1:] + ['sad/9.jpg'], np.log(probs_b), ['b.pdparams'], True)
    with pytest.raises(DataError, match="two.npz lacks 1 of the data set's 5 faces"):
        pool_soft_targets([one, two])
    save_soft_targets(two, names, np.log(probs_b), ['b.pdparams'], ten_crop=False)
    with pytest.raises(DataError, match='two.npz was written without ten crops'):
        pool_soft_targets([one, two])


def test_random_crop_and_ten_crop_shapes():
    face = {'image': np.random.default_rng(0).integers(0, 255, (48, 48, 1), dtype=np.uint8)}
    assert RandomCropFace(size=40, scale=[0.75, 1.0]).apply(dict(face))['image'].shape == (40, 40, 1)
    crops = TenCropFace(size=40).apply(dict(face))['image']
    assert crops.shape == (10, 40, 40, 1)
    np.testing.assert_array_equal(crops[5], crops[0][:, ::-1])
    normal = NormalizeFace(mean=[0.5], std=[0.25]).apply({'image': crops})['image']
    assert normal.shape == (10, 1, 40, 40) and normal.dtype == np.float32


def test_preprocess_matches_eval_reader_ops():
    transforms = [{'DecodeFace': {'channels': 1}}, {'ResizeFace': {'size': 48}},
                  {'CenterCropFace': {'size': 40}}, {'NormalizeFace': {'mean': [0.5], 'std': [0.25]}}]
    spec = FaceInputSpec.from_transforms(transforms)
    gray = np.random.default_rng(1).integers(0, 255, (48, 48), dtype=np.uint8)
    batch = preprocess_faces([cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)], spec)
    expected = (gray[4:44, 4:44].astype(np.float32) / 255 - 0.5) / 0.25
    np.testing.assert_allclose(batch[0, 0], expected, atol=1e-5)
    assert preprocess_faces([gray], spec, use_ten_crop=True).shape == (1, 10, 1, 40, 40)


def test_input_spec_round_trips_through_the_meta_and_refuses_bad_ones():
    transforms = [{'DecodeFace': {'channels': 1}}, {'ResizeFace': {'size': 48}},
                  {'TenCropFace': {'size': 40}}, {'NormalizeFace': {'mean': [0.5], 'std': [0.25]}}]
    spec = FaceInputSpec.from_transforms(transforms, ['a', 'b'])
    assert (spec.size, spec.ten_crop, spec.class_names) == (40, True, ['a', 'b'])
    assert FaceInputSpec.from_meta(spec.to_meta(), 'w.pdparams') == spec
    bad = spec.to_meta()
    bad['input_spec']['crop'] = 64
    with pytest.raises(WeightsError, match="'w.pdparams'.*crop 64 .*at most the resize 48"):
        FaceInputSpec.from_meta(bad, 'w.pdparams')
    with pytest.raises(WeightsError, match='carry no input spec'):
        FaceInputSpec.from_meta({'class_names': ['a']}, 'w.pdparams')
    with pytest.raises(ConfigError, match='expected a ResizeFace'):
        FaceInputSpec.from_transforms(transforms[:1])


def constant_batch(n=4, size=8):
    """n normalised faces, face k filled with k and labelled k."""
    return [{'image': np.full((1, size, size), float(k), dtype=np.float32),
             'gt_class': np.array([k], dtype=np.int64)} for k in range(n)]


def test_mixup_blends_every_face_with_its_partner_by_one_share():
    np.random.seed(3)
    batch = MixFaces(mode='mixup', alpha=0.4)(constant_batch())
    share = float(batch[0]['mix_weight'][0])
    assert 0 < share < 1
    for k, sample in enumerate(batch):
        partner = int(sample['gt_class_mix'][0])
        assert sample['mix_weight'][0] == share
        np.testing.assert_allclose(sample['image'], share * k + (1 - share) * partner, rtol=1e-6)
    assert [int(s['gt_class_mix'][0]) for s in batch] != [0, 1, 2, 3]  # shuffled partners


def test_cutmix_pastes_one_box_and_weights_by_the_area_left():
    np.random.seed(5)
    batch = MixFaces(mode='cutmix', alpha=1.0)(constant_batch(size=20))
    for k, sample in enumerate(batch):
        partner = int(sample['gt_class_mix'][0])
        assert set(np.unique(sample['image'])) <= {k, partner}
        if partner != k:  # a face paired with itself keeps its own target whatever the share
            assert sample['mix_weight'][0] == pytest.approx(np.mean(sample['image'] == k))


def test_unmixed_batches_carry_their_own_class_with_full_weight():
    batch = MixFaces(mode='mixup', prob=0.0)(constant_batch())
    assert [int(s['gt_class_mix'][0]) for s in batch] == [0, 1, 2, 3]
    assert all(s['mix_weight'][0] == 1.0 for s in batch)
    with pytest.raises(ConfigError, match='MixFaces.mode'):
        MixFaces(mode='blend')


def test_mixed_target_loss_is_the_share_weighted_loss_of_both_classes():
    import paddle
    head = EmotionHead(num_classes=7, in_channels=4, class_weights=[1, 2, 1, 1, 1, 1, 3])
    logits = paddle.to_tensor(np.random.default_rng(0).normal(size=(3, 7)).astype(np.float32))
    a, b = paddle.to_tensor([[1], [4], [6]]), paddle.to_tensor([[6], [4], [0]])
    share = paddle.to_tensor([[1.0], [0.3], [0.6]])
    mixed = float(head.get_loss(logits, a, b, share))
    ce = -paddle.nn.functional.log_softmax(logits, axis=-1).numpy()
    cw = np.array([1, 2, 1, 1, 1, 1, 3], dtype=np.float32)
    s = share.numpy().ravel()
    ia, ib = a.numpy().ravel(), b.numpy().ravel()
    per_face = s * ce[range(3), ia] + (1 - s) * ce[range(3), ib]
    weights = s * cw[ia] + (1 - s) * cw[ib]
    assert mixed == pytest.approx(float((per_face * weights).sum() / weights.sum()), rel=1e-5)
    assert float(head.get_loss(logits, a, a, paddle.ones([3, 1]))) == pytest.approx(
        float(head.get_loss(logits, a)), rel=1e-6)


def test_the_classifier_trains_on_the_mixed_targets_of_the_batch():
    import paddle
    from ppdet_emotion.modeling.architectures.emotion_classifier import EmotionClassifier
    from ppdet_emotion.modeling.backbones.resnet import EmotionResNet
    paddle.seed(0)
    np.random.seed(1)
    model = EmotionClassifier(EmotionResNet(widths=[8, 16, 32, 64], stem_stride=1),
                              EmotionHead(num_classes=7, in_channels=64))
    model.eval()  # batch-norm statistics fixed, so the same images give the same logits
    batch = MixFaces(mode='cutmix', alpha=1.0)(constant_batch(size=40))
    inputs = {k: paddle.to_tensor(np.stack([s[k] for s in batch])) for k in batch[0]}
    model.inputs = inputs
    mixed = float(model.get_loss()['loss'])
    logits = model.logits(inputs['image'])
    assert mixed == pytest.approx(float(model.head.get_loss(
        logits, inputs['gt_class'], inputs['gt_class_mix'], inputs['mix_weight'])), rel=1e-5)
    assert mixed != pytest.approx(float(model.head.get_loss(logits, inputs['gt_class'])), rel=1e-3)
