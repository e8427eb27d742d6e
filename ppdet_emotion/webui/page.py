"""The web page (Gradio Blocks): a photo tab (labelled picture, faces table, probability charts,
the classifier's input crops, a JSON download), a video tab and a live webcam tab, sharing the
face-threshold and ten-crop controls."""
import functools
import os
import shutil
import tempfile

import gradio as gr
import numpy as np

from ..errors import UserError
from ..inference.flow import describe
from ..inference.sources import decode_rgb
from ..io import write_json
from .charts import probability_chart
from .video import label_video

FACE_HEADERS = ['face', 'x1', 'y1', 'x2', 'y2', 'face score', 'expression', 'score']
# Pixels stay square when the gallery enlarges the small crops.
CSS = '#crops img { image-rendering: pixelated; }'


def offline_theme():
    """Gradio's default look with the system's fonts (its own theme fetches web fonts)."""
    return gr.themes.Default(font=['ui-sans-serif', 'system-ui', 'sans-serif'],
                             font_mono=['ui-monospace', 'monospace'])


def face_rows(faces):
    return [[n] + face['bbox'] + [face['score'], face.get('expression', ''),
                                  face.get('expression_score', '')]
            for n, face in enumerate(faces, 1)]


def crop_captions(analysis):
    return ['#{} {} {:.2f} ({}x{} {})'.format(
        n, face['expression'], face['expression_score'], crop.shape[1], crop.shape[0],
        'grey' if crop.ndim == 2 else 'RGB') for n, (face, crop) in
        enumerate(zip(analysis.faces, analysis.crops), 1)]


class RequestFolder(object):
    """Files written for the latest request under ``root``; the previous request's are removed
    when the next one starts (the queue runs one request at a time)."""

    def __init__(self, root):
        self.root, self.current = root, None

    def new(self):
        if self.current:
            shutil.rmtree(self.current, ignore_errors=True)
        self.current = tempfile.mkdtemp(dir=self.root)
        return self.current


class GradioProgress(object):
    """``progress.Progress``'s interface over Gradio's progress bar."""

    def __init__(self, bar, total, what, unit):
        self.bar, self.total, self.what, self.unit, self.done = bar, total, what, unit, 0

    def step(self, count=1):
        self.done += count
        self.bar((self.done, self.total) if self.total else self.done, desc=self.what,
                 unit=self.unit)

    def close(self):
        pass


def user_errors(fn):
    """Run ``fn``; a UserError becomes a message in the page (``gr.Error``). The wrapper keeps
    ``fn``'s signature, where Gradio looks for a ``gr.Progress`` to drive."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except UserError as e:
            raise gr.Error(str(e), print_exception=False) from None
    return wrapper


def uploaded_photo(payload):
    """The RGB pixels and the file name of an upload (not yet checked by Gradio: a file that is
    not an image gets our one-line error)."""
    name = payload.get('orig_name') or os.path.basename(payload['path'])
    return decode_rgb(np.fromfile(payload['path'], np.uint8), name), name


def build_page(analyzer, work_dir, title='ppdet-emotion'):
    """The ``gr.Blocks`` page over a ``PhotoAnalyzer``; files it writes go under ``work_dir``."""
    folder = RequestFolder(work_dir)
    names = analyzer.class_names

    @user_errors
    def analyze_photo(payload, face_threshold, ten_crop):
        if not payload:
            return None, [], None, [], None
        rgb, name = uploaded_photo(payload)
        analysis = analyzer(rgb, name, face_threshold, ten_crop)
        results = os.path.join(folder.new(), os.path.splitext(name)[0] + '.json')
        write_json(results, analysis.record)
        crops = list(zip(analysis.crops, crop_captions(analysis)))
        return (analysis.picture, face_rows(analysis.faces),
                probability_chart(analysis.faces, names), crops, results)

    @user_errors
    def analyze_video(path, face_threshold, ten_crop, bar=gr.Progress()):
        if not path:
            return None, None, None
        out_dir = folder.new()
        (video, plot, table), _ = label_video(
            analyzer, path, out_dir, face_threshold, ten_crop,
            progress=functools.partial(GradioProgress, bar))
        return video, plot, table

    @user_errors
    def analyze_frame(rgb, face_threshold, ten_crop):
        if rgb is None:
            return None, ''
        analysis = analyzer(rgb, 'webcam', face_threshold, ten_crop)
        return analysis.picture, '\n'.join(describe('webcam', analysis.faces, 0))

    with gr.Blocks(title=title, analytics_enabled=False, delete_cache=(3600, 3600)) as page:
        gr.Markdown('## ppdet-emotion\nEvery face in a photo or video, boxed and labelled with '
                    'its expression ({}).'.format(', '.join(names)))
        with gr.Row():
            threshold = gr.Slider(0.05, 0.95, value=analyzer.face_threshold, step=0.05,
                                  label='face threshold (detector score)')
            ten_crop = gr.Checkbox(False, label='ten crops per face (slower, steadier)',
                                   interactive=analyzer.can_ten_crop)
        controls = [threshold, ten_crop]
        with gr.Tab('Photo'):
            with gr.Row():
                photo = gr.Image(sources=['upload', 'clipboard', 'webcam'], type='filepath',
                                 label='photo', elem_id='photo')
                labelled = gr.Image(label='labelled', interactive=False, format='png',
                                    elem_id='labelled')
            faces = gr.Dataframe(headers=FACE_HEADERS, label='faces', interactive=False,
                                 elem_id='faces')
            with gr.Row():
                chart = gr.Plot(label='expression probabilities per face', elem_id='chart')
                crops = gr.Gallery(label='what the classifier saw (its input, per face)',
                                   format='png', columns=4, height=320,
                                   object_fit='contain', elem_id='crops')
            results = gr.File(label='results (JSON, as tools/infer.py --save_results)',
                              elem_id='results')
            gr.on([photo.input, threshold.release, ten_crop.input], analyze_photo,
                  [photo] + controls, [labelled, faces, chart, crops, results],
                  preprocess=False)
        with gr.Tab('Video'):
            with gr.Row():
                video = gr.Video(sources=['upload'], format=None, label='video', elem_id='video')
                labelled_video = gr.Video(label='labelled', interactive=False, format=None,
                                          elem_id='labelled_video')
            timeline = gr.Image(label='expressions over time, per face', interactive=False,
                                format='png', elem_id='timeline')
            table = gr.File(label='faces per frame (CSV)', elem_id='video_results')
            run = gr.Button('Label the video', variant='primary')
            run.click(analyze_video, [video] + controls, [labelled_video, timeline, table])
        with gr.Tab('Webcam'):
            with gr.Row():
                live = gr.Image(sources=['webcam'], streaming=True, label='webcam', elem_id='live')
                live_labelled = gr.Image(label='labelled', interactive=False,
                                         elem_id='live_labelled')
            live_faces = gr.Textbox(label='faces in the latest frame', lines=3,
                                    interactive=False, elem_id='live_faces')
            live.stream(analyze_frame, [live] + controls, [live_labelled, live_faces],
                        stream_every=0.2, concurrency_limit=1)
    return page.queue(default_concurrency_limit=1, max_size=32)
