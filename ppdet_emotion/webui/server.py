"""The web app's server: the API and the page in one FastAPI app, served by uvicorn on one port.

Nothing leaves the machine: Gradio's analytics are off, its fonts are the system's, and it
never asks the Hugging Face hub. Uploads and results live in a temporary folder that is removed
when the server stops.
"""
import os
import shutil
import socket
import tempfile
import time

from ..errors import ConfigError

OFFLINE_ENV = {'GRADIO_ANALYTICS_ENABLED': 'False', 'HF_HUB_OFFLINE': '1',
               'HF_HUB_DISABLE_TELEMETRY': '1', 'GRADIO_SSR_MODE': 'False'}


def check_port(host, port):
    """ConfigError unless ``host:port`` can be listened on."""
    try:
        with socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as e:
        raise ConfigError('--host {} --port {}: cannot listen there ({}); pick another '
                          '--port'.format(host, port, e.strerror or e)) from None


def build_app(analyzer, work_dir, limit_bytes, title='ppdet-emotion'):
    """The FastAPI app: ``POST /api/analyze`` and the page at ``/``."""
    os.environ.update(OFFLINE_ENV)
    os.environ['GRADIO_TEMP_DIR'] = os.path.join(work_dir, 'gradio')
    import gradio as gr
    from fastapi import FastAPI

    from .api import UploadLimit, api_router
    from .page import CSS, build_page, offline_theme
    # no Swagger page: it loads its scripts from a CDN
    app = FastAPI(title=title, docs_url=None, redoc_url=None, openapi_url='/api/openapi.json')
    app.include_router(api_router(analyzer, limit_bytes))
    app.add_middleware(UploadLimit, limit_bytes=limit_bytes)
    page = build_page(analyzer, work_dir, title)
    return gr.mount_gradio_app(app, page, path='/', theme=offline_theme(), css=CSS,
                               max_file_size=limit_bytes, allowed_paths=[work_dir],
                               footer_links=['settings'], show_error=False, ssr_mode=False,
                               mcp_server=False)


def serve(analyzer, host='127.0.0.1', port=7860, max_upload_mb=20.0):
    """Serve until Ctrl-C (or SIGTERM); the temporary folder goes with the server."""
    import uvicorn
    check_port(host, port)
    limit_bytes = int(max_upload_mb * 2 ** 20)
    work_dir = tempfile.mkdtemp(prefix='ppdet-emotion-webui-')
    try:
        app = build_app(analyzer, work_dir, limit_bytes)
        shown = '[{}]'.format(host) if ':' in host else host
        print('ppdet-emotion web app: http://{}:{}/ (API: POST http://{}:{}/api/analyze); '
              'Ctrl-C stops it'.format(shown, port, shown, port), flush=True)
        uvicorn.run(app, host=host, port=port, log_level='warning')
    finally:
        remove_folder(work_dir)


def remove_folder(path, attempts=10):
    """Remove ``path`` and all in it; a request still finishing as the server stops (a live
    webcam frame) may write into it while it goes, so try again until it is gone."""
    for _ in range(attempts):
        shutil.rmtree(path, ignore_errors=True)
        if not os.path.exists(path):
            return
        time.sleep(0.2)
