"""Serve the local web app and HTTP API for a cascade config (needs the ``ui`` extra).

The page labels an uploaded, pasted or webcam photo (labelled picture, faces table, probability
charts, the classifier's input crops, a JSON download), a video, or the live webcam; beside it,
``POST /api/analyze`` returns a photo's JSON. Listens on 127.0.0.1 unless ``--host`` says
otherwise; nothing is fetched from the internet.

    python tools/webui.py -c configs/emotion/default.yml [--host 127.0.0.1 --port 7860]
"""
import importlib.util

import ppdet_emotion  # noqa: F401
from ppdet_emotion.engine.cli import base_parser, load_cfg, run
from ppdet_emotion.engine.model_loading import build_inference_model
from ppdet_emotion.engine.roles import CASCADE, require_role
from ppdet_emotion.errors import ConfigError


@run
def main(argv=None):
    parser = base_parser(__doc__)
    parser.add_argument('--host', default='127.0.0.1',
                        help='address to listen on (0.0.0.0: every network the machine is on)')
    parser.add_argument('--port', type=int, default=7860, help='port to listen on')
    parser.add_argument('--max_upload_mb', type=float, default=20.0,
                        help='larger uploads are refused (the page and the API)')
    parser.add_argument('--max_size', type=int, default=None,
                        help='shrink photos and frames whose longer side is larger than this '
                             'before the model (results stay in their pixels)')
    args = parser.parse_args(argv)
    if importlib.util.find_spec('gradio') is None:
        raise ConfigError('the web app needs Gradio: pip install "ppdet-emotion[ui]" (from a '
                          'checkout: pip install -e ".[ui]")')
    if args.max_upload_mb <= 0:
        raise ConfigError('--max_upload_mb: expected a positive size, got {:g}'.format(
            args.max_upload_mb))
    cfg = load_cfg(args.config, args.opt)
    require_role(cfg, CASCADE, 'the web app')
    from ppdet_emotion.webui.analysis import PhotoAnalyzer
    from ppdet_emotion.webui.server import check_port, serve
    check_port(args.host, args.port)
    model, _ = build_inference_model(cfg)
    analyzer = PhotoAnalyzer(model, cfg['TestReader']['sample_transforms'], args.max_size)
    serve(analyzer, args.host, args.port, args.max_upload_mb)


if __name__ == '__main__':
    main()
