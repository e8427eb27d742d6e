"""Export a model to Paddle Inference: the cascade, a face detector, or a classifier alone; with
``--onnx`` also to ONNX (needs the ``onnx`` extra).

    python tools/export_model.py -c CONFIG -o weights=... [--output_dir output_inference] [--onnx]

Writes ``<output_dir>/<config name>/model.{json|pdmodel}``, ``model.pdiparams`` and
``export_meta.json`` (what the predictor needs: preprocessing, class names, output names); with
``--onnx``, ``<output_dir>/<config name>_onnx/model.onnx`` and its ``export_meta.json`` (with the
inputs, outputs and preprocessing a user outside Paddle needs).
"""
import os

import ppdet_emotion  # noqa: F401
from ppdet_emotion.data.input_spec import FaceInputSpec
from ppdet_emotion.engine.cli import base_parser, load_cfg, run
from ppdet_emotion.engine import onnx_model
from ppdet_emotion.engine.export import (EXPORT_META, export_classifier,
                                         export_detector)
from ppdet_emotion.engine.model_loading import build_inference_model
from ppdet_emotion.engine.roles import CLASSIFIER, architecture_role
from ppdet_emotion.io import atomic_dir, write_json


@run
def main(argv=None):
    parser = base_parser(__doc__)
    parser.add_argument('--output_dir', default='output_inference', help='export folder')
    parser.add_argument('--onnx', action='store_true',
                        help='also convert the export to ONNX with paddle2onnx (<name>_onnx/)')
    args = parser.parse_args(argv)
    if args.onnx:
        onnx_model.require('paddle2onnx')
        onnx_model.require('onnxruntime')
    cfg = load_cfg(args.config, args.opt)
    model, meta = build_inference_model(cfg)
    model.eval()
    folder = os.path.join(args.output_dir, cfg.filename)
    info = {'architecture': cfg.architecture}
    with atomic_dir(folder) as tmp:
        prefix = os.path.join(tmp, 'model')
        if architecture_role(cfg) == CLASSIFIER:
            spec = FaceInputSpec.from_meta(meta, cfg.weights)
            export_classifier(model, spec, prefix)
            info.update(kind='classifier', **spec.to_meta())
        else:
            names = export_detector(model, prefix)
            info.update(kind='detector', sample_transforms=cfg['TestReader']['sample_transforms'],
                        class_names=getattr(model, 'class_names', None), output_names=names)
        write_json(os.path.join(tmp, EXPORT_META), info)
    print('exported to {}'.format(folder))
    if args.onnx:
        with atomic_dir(folder + '_onnx') as tmp:
            info['onnx'] = onnx_model.convert(os.path.join(folder, 'model'), tmp, info)
            write_json(os.path.join(tmp, EXPORT_META), info)
        print('ONNX: {}'.format(folder + '_onnx'))


if __name__ == '__main__':
    main()
