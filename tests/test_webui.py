"""The web app (tools/webui.py): the photo analysis behind it, its HTTP API against
tools/infer.py --save_results, and the page in a real browser (the system's Chromium, driven by
Playwright), offline.

The browser tests run where Chromium and Playwright are installed; with
PPDET_EMOTION_BROWSER_TESTS=1 (set by CI) their absence is a failure, not a skip.
"""
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import REPO, assert_clean_error, run_tool

gradio = pytest.importorskip('gradio', reason='the ui extra is not installed')
import httpx  # noqa: E402  (Gradio brings it)

ASTRONAUT = os.path.join(REPO, 'demo', 'astronaut.png')
UPLOAD_LIMIT_MB = 1


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def write_y4m(path, rgb, frames=5):
    """A Y4M clip of one picture: Chromium's fake camera plays it."""
    import cv2
    height, width = rgb.shape[:2]
    planes = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).tobytes()
    with open(path, 'wb') as f:
        f.write('YUV4MPEG2 W{} H{} F5:1 Ip A1:1 C420jpeg\n'.format(width, height).encode())
        for _ in range(frames):
            f.write(b'FRAME\n' + planes)


@pytest.fixture(scope='module')
def analyzer():
    from ppdet_emotion.engine.cli import load_cfg
    from ppdet_emotion.engine.model_loading import build_inference_model
    from ppdet_emotion.webui.analysis import PhotoAnalyzer
    cfg = load_cfg('default')
    model, _ = build_inference_model(cfg)
    return PhotoAnalyzer(model, cfg['TestReader']['sample_transforms'])


@pytest.fixture(scope='module')
def astronaut():
    from ppdet_emotion.inference.sources import read_rgb
    return read_rgb(ASTRONAUT)


def test_analysis_shows_what_the_classifier_saw(analyzer, astronaut):
    spec = analyzer.post_process.spec
    single = analyzer(astronaut, 'astronaut.png')
    assert [f['expression'] for f in single.faces] == ['happy']
    assert single.picture.shape == astronaut.shape
    assert [c.shape for c in single.crops] == [(spec.size, spec.size)]  # grey, the input size
    assert single.crops[0].dtype == np.uint8 and single.crops[0].std() > 10  # a face, not blank
    ten = analyzer(astronaut, 'astronaut.png', ten_crop=True)
    assert [c.shape for c in ten.crops] == [(2 * spec.crop, 5 * spec.crop)]
    # the per-request options do not stick
    assert analyzer.post_process.ten_crop is False
    assert analyzer(astronaut, 'a', face_threshold=0.99).faces == []
    assert analyzer.face_threshold == 0.4 and len(analyzer(astronaut, 'a').faces) == 1


def test_analysis_refuses_bad_options(analyzer, astronaut):
    from ppdet_emotion.errors import ConfigError
    with pytest.raises(ConfigError, match='face_threshold: expected a number from 0 to 1'):
        analyzer(astronaut, 'a', face_threshold=1.5)


def test_probability_chart_has_a_panel_per_face():
    from ppdet_emotion.classes import FER2013_CLASSES
    from ppdet_emotion.webui.charts import probability_chart
    face = {'expression': 'sad', 'expression_score': 0.6,
            'probabilities': {n: 0.4 / 6 for n in FER2013_CLASSES}}
    face['probabilities']['sad'] = 0.6
    figure = probability_chart([face] * 4, FER2013_CLASSES)
    titles = [ax.get_title() for ax in figure.axes if ax.get_visible()]
    assert titles == ['#1 sad 0.60', '#2 sad 0.60', '#3 sad 0.60', '#4 sad 0.60']
    assert probability_chart([], FER2013_CLASSES) is None


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    """tools/webui.py on a free port (upload limit 1 MB), its own TMPDIR; yields (URL, TMPDIR)
    and checks on stopping that its temporary files are gone."""
    tmp = str(tmp_path_factory.mktemp('webui_tmp'))
    port = free_port()
    env = dict(os.environ, OMP_NUM_THREADS='1', TMPDIR=tmp)
    proc = subprocess.Popen([sys.executable, os.path.join(REPO, 'tools', 'webui.py'), '-c',
                             'default', '--port', str(port), '--max_upload_mb',
                             str(UPLOAD_LIMIT_MB)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    url = 'http://127.0.0.1:{}'.format(port)
    deadline = time.time() + 180
    while True:
        assert proc.poll() is None, proc.stdout.read()
        try:
            if httpx.get(url + '/', timeout=5).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.time() < deadline, 'the web app did not start in 180 s'
        time.sleep(0.5)
    assert glob.glob(os.path.join(tmp, 'ppdet-emotion-webui-*'))
    yield url, tmp
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert 'Traceback' not in out, out
    assert glob.glob(os.path.join(tmp, 'ppdet-emotion-webui-*')) == [], 'temp files left'


def post_image(url, path, name=None, **fields):
    with open(path, 'rb') as f:
        files = {'file': (name or os.path.basename(path), f)}
        return httpx.post(url + '/api/analyze', files=files,
                          data={k: str(v) for k, v in fields.items()}, timeout=120)


def assert_same(a, b, tol=1e-3, where='results'):
    """The same JSON, numbers to ``tol``."""
    if isinstance(a, dict):
        assert sorted(a) == sorted(b), where
        for key in a:
            assert_same(a[key], b[key], tol, '{}.{}'.format(where, key))
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, tol, '{}[{}]'.format(where, i))
    elif isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, abs=tol), where
    else:
        assert a == b, where


def test_api_returns_what_infer_saves(server, tmp_path):
    url, _ = server
    response = post_image(url, ASTRONAUT)
    assert response.status_code == 200, response.text
    api = response.json()
    proc = run_tool('infer', '-c', 'default', '--infer_img', ASTRONAUT, '--save_results',
                    '--output_dir', str(tmp_path), cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    with open(os.path.join(str(tmp_path), 'astronaut.png.json')) as f:
        saved = json.load(f)
    assert api['image'] == 'astronaut.png'
    assert_same(dict(api, image=None), dict(saved, image=None))
    assert [f['expression'] for f in api['faces']] == ['happy']


def test_api_options_and_bad_input(server, tmp_path):
    url, _ = server
    assert post_image(url, ASTRONAUT, face_threshold=0.99).json()['faces'] == []
    ten = post_image(url, ASTRONAUT, ten_crop='true').json()['faces']
    assert [f['expression'] for f in ten] == ['happy']
    text = tmp_path / 'notes.jpg'
    text.write_text('not a picture')
    response = post_image(url, str(text))
    assert response.status_code == 400
    assert response.json()['detail'] == 'cannot read image notes.jpg: not an image file or corrupt'
    big = tmp_path / 'big.png'
    big.write_bytes(b'\0' * (UPLOAD_LIMIT_MB * 2 ** 20 + 2 ** 17))
    response = post_image(url, str(big))
    assert response.status_code == 413 and '1 MB' in response.json()['detail']
    response = post_image(url, ASTRONAUT, face_threshold=2)
    assert response.status_code == 422 and 'face_threshold' in response.json()['detail']
    assert httpx.post(url + '/api/analyze', timeout=30).status_code == 422  # no file


def test_webui_refuses_a_detector_config_and_a_busy_port(tmp_path):
    proc = run_tool('webui', '-c', 'face_detection/centerface', cwd=str(tmp_path))
    assert_clean_error(proc, 'the web app needs a cascade config')
    with socket.socket() as busy:
        busy.bind(('127.0.0.1', 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        proc = run_tool('webui', '-c', 'default', '--port', str(port), cwd=str(tmp_path))
    assert_clean_error(proc, '--port {}: cannot listen there'.format(port))


def chromium_path():
    return os.environ.get('PPDET_EMOTION_CHROMIUM') or shutil.which('chromium') or \
        shutil.which('chromium-browser')


@pytest.fixture(scope='module')
def camera(tmp_path_factory, astronaut):
    path = str(tmp_path_factory.mktemp('camera') / 'astronaut.y4m')
    write_y4m(path, astronaut)
    return path


@pytest.fixture(scope='module')
def browser(camera):
    """Headless Chromium (the system's) under Playwright; its fake camera shows the astronaut."""
    required = os.environ.get('PPDET_EMOTION_BROWSER_TESTS') == '1'
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    executable = chromium_path()
    if sync_playwright is None or not executable:
        message = 'browser tests need playwright and a chromium executable'
        if required:
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True,
            args=['--no-sandbox', '--disable-gpu', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync', '--no-first-run',
                  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
                  '--use-file-for-fake-video-capture=' + camera])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    """A page of the web app whose requests to any host but this one are blocked and listed
    (``page.outside``)."""
    url, _ = server
    page = browser.new_page(viewport={'width': 1280, 'height': 1400})
    page.outside = []

    def route(request_route):
        address = request_route.request.url
        if address.startswith((url, 'data:', 'blob:')):
            request_route.continue_()
        else:
            page.outside.append(address)
            request_route.abort()
    page.route('**/*', route)
    page.goto(url + '/')
    page.wait_for_selector('#photo input[type=file]', state='attached', timeout=60000)
    yield page
    page.close()


def test_page_labels_an_uploaded_photo_offline(page, server, tmp_path):
    page.set_input_files('#photo input[type=file]', ASTRONAUT)
    page.wait_for_selector('#labelled img', timeout=120000)
    page.wait_for_selector('#crops img', timeout=30000)
    rows = page.locator('#faces [role=row]')  # the header, then a row per face
    faces = [rows.nth(i).inner_text().split() for i in range(1, rows.count())]
    assert len(faces) == 1 and faces[0][0] == '1' and faces[0][-2] == 'happy', faces
    assert page.locator('#crops img').count() == 1
    assert page.locator('#chart img').count() == 1
    link = page.locator('#results a').first.get_attribute('href')
    download = httpx.get(link if link.startswith('http') else server[0] + link, timeout=30).json()
    assert download['image'] == 'astronaut.png'
    assert [f['expression'] for f in download['faces']] == ['happy']
    page.screenshot(path=str(tmp_path / 'webui_astronaut.png'), full_page=True)
    assert os.path.getsize(str(tmp_path / 'webui_astronaut.png')) > 10000
    assert page.outside == [], 'requests left the machine: {}'.format(page.outside)


def test_page_shows_the_error_for_a_file_that_is_not_an_image(page, tmp_path):
    text = tmp_path / 'notes.jpg'
    text.write_text('not a picture')
    page.set_input_files('#photo input[type=file]', str(text))
    page.get_by_text('cannot read image notes.jpg: not an image file or corrupt').first.wait_for(
        timeout=60000)
    assert page.locator('#labelled img').count() == 0
    assert page.outside == []


def test_page_refuses_an_upload_over_the_limit(page, tmp_path):
    big = tmp_path / 'big.png'
    big.write_bytes(b'\0' * (UPLOAD_LIMIT_MB * 2 ** 20 + 2 ** 17))
    page.set_input_files('#photo input[type=file]', str(big))
    page.get_by_text('exceed the maximum allowed size').first.wait_for(timeout=30000)
    assert page.locator('#labelled img').count() == 0


@pytest.fixture(scope='module')
def clip(tmp_path_factory):
    from ppdet_emotion.data.synthetic_video import write_clip
    path = str(tmp_path_factory.mktemp('clip') / 'clip.mp4')
    write_clip(path, 12, fps=6.0, size=(320, 240))
    return path


def test_video_is_labelled_for_the_browser(analyzer, clip, tmp_path):
    import cv2
    from ppdet_emotion.webui.video import label_video
    (video, plot, table), summary = label_video(analyzer, clip, str(tmp_path))
    assert video.endswith('.webm') and summary.done == 12
    capture = cv2.VideoCapture(video)
    frames = 0
    while capture.read()[0]:
        frames += 1
    assert frames == 12
    assert plot is not None and os.path.getsize(plot) > 0
    with open(table) as f:
        assert len(f.readlines()) > 12  # the header, then a row per face per frame


def test_page_labels_a_video(page, clip):
    page.get_by_role('tab', name='Video').click()
    page.set_input_files('#video input[type=file]', clip)
    page.get_by_role('button', name='Label the video').click()
    page.wait_for_selector('#labelled_video video', timeout=120000)
    page.wait_for_selector('#timeline img', timeout=30000)
    # the browser decodes the labelled video: 12 frames at 6 frames/s
    duration = page.wait_for_function(
        "() => { const v = document.querySelector('#labelled_video video');"
        " return v && v.readyState >= 1 && v.duration }", timeout=30000).json_value()
    assert duration == pytest.approx(2.0, abs=0.25)
    assert 'clip_faces.csv' in page.inner_text('#video_results').replace('\n', '')
    assert page.outside == []


def test_live_webcam_is_labelled(browser, server):
    """Chromium's fake camera (showing the astronaut) streams to the webcam tab."""
    url, _ = server
    context = browser.new_context(permissions=['camera'])
    page = context.new_page()
    try:
        page.goto(url + '/')
        page.get_by_role('tab', name='Webcam').click()
        page.get_by_text('Click to Access Webcam').click()
        page.locator('#live button', has_text='Record').click()
        page.wait_for_function("() => document.querySelector('#live_faces textarea')"
                               ".value.includes('happy')", timeout=60000)
        assert page.locator('#live_labelled img').count() == 1
    finally:
        context.close()
