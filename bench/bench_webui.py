"""Benchmark the web app's API: the request time of ``POST /api/analyze`` on one photo (upload,
cascade, JSON), single crop and ten crops, beside the same analysis in process (no HTTP).

    python bench/bench_webui.py [--image demo/astronaut.png] [-c default] [--repeats 10]

Starts tools/webui.py on a free port, and prints a table of milliseconds per request.
"""
import argparse
import logging
import os
import socket
import subprocess
import sys
import time

import httpx

from timing import median_ms  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def start_server(config, port):
    proc = subprocess.Popen([sys.executable, os.path.join(REPO, 'tools', 'webui.py'), '-c', config,
                             '--port', str(port)], stdout=subprocess.DEVNULL)
    url = 'http://127.0.0.1:{}'.format(port)
    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit('tools/webui.py exited with status {}'.format(proc.returncode))
        try:
            httpx.get(url + '/', timeout=5)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    sys.exit('tools/webui.py did not start in 180 s')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('-c', '--config', default='default')
    parser.add_argument('--image', default=os.path.join(REPO, 'demo', 'astronaut.png'))
    parser.add_argument('--repeats', type=int, default=10)
    args = parser.parse_args()
    with open(args.image, 'rb') as f:
        data = f.read()
    name = os.path.basename(args.image)

    import ppdet_emotion  # noqa: F401
    from ppdet_emotion.engine.cli import load_cfg
    from ppdet_emotion.engine.model_loading import build_inference_model
    from ppdet_emotion.inference.sources import decode_rgb
    from ppdet_emotion.webui.analysis import PhotoAnalyzer
    cfg = load_cfg(args.config)
    model, _ = build_inference_model(cfg)
    analyzer = PhotoAnalyzer(model, cfg['TestReader']['sample_transforms'])
    rows = []
    for ten_crop in (False, True):
        rows.append(('in process (decode + PhotoAnalyzer)', ten_crop, median_ms(
            lambda: analyzer(decode_rgb(data, name), name, ten_crop=ten_crop), args.repeats)))

    logging.getLogger('httpx').setLevel(logging.WARNING)
    proc, url = start_server(args.config, free_port())
    try:
        faces = None
        for ten_crop in (False, True):
            def request():
                response = httpx.post(url + '/api/analyze', files={'file': (name, data)},
                                      data={'ten_crop': str(ten_crop)}, timeout=120)
                response.raise_for_status()
                return response.json()
            faces = len(request()['faces'])
            rows.append(('POST /api/analyze', ten_crop, median_ms(request, args.repeats)))
    finally:
        proc.terminate()
        proc.wait(timeout=60)

    print('{} ({:.0f} KB), {} face(s), config {}, OMP_NUM_THREADS={}, median of {}'.format(
        name, len(data) / 1024, faces, args.config, os.environ.get('OMP_NUM_THREADS'),
        args.repeats))
    print('| path | ten crops | ms per photo |')
    print('|---|---|---|')
    for path, ten_crop, ms in rows:
        print('| {} | {} | {:.1f} |'.format(path, 'yes' if ten_crop else 'no', ms))


if __name__ == '__main__':
    main()
