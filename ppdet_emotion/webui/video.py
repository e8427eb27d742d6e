"""A video through the web app: the flow of ``tools/infer.py --video_file`` (tracked faces,
smoothed labels) writing a labelled video that browsers play, the timeline plot and the CSV."""
import os

from ..progress import Progress
from ..inference.flow import StreamLabeller, label_stream
from ..inference.sinks import FaceTable, TimelinePlot, VideoFile
from ..inference.sources import video_source
from ..inference.tracking import DEFAULT_TRACKER, FaceTracker, Smoother

SMOOTHING = 'ema:0.3'


def label_video(analyzer, path, out_dir, face_threshold=None, ten_crop=None, progress=Progress):
    """Label the video at ``path`` into ``out_dir``: returns (labelled ``.webm``, timeline
    ``.png`` or None if no face was tracked, ``.csv``) and the run's ``flow.Summary``.
    ``progress``: (total frames, name, unit) -> a ``progress.Progress``-like object."""
    source = video_source(path)
    stem = os.path.join(out_dir, os.path.splitext(os.path.basename(path))[0])
    try:
        sinks = [VideoFile(stem + '_labelled.webm', source.fps, source.size),
                 TimelinePlot(stem + '_expressions.png', analyzer.class_names),
                 FaceTable(stem + '_faces.csv', analyzer.class_names, stream=True)]
    except Exception:
        source.close()
        raise
    with analyzer.session(face_threshold, ten_crop) as labeller:
        stream = StreamLabeller(labeller, FaceTracker(DEFAULT_TRACKER, source.fps),
                                Smoother.parse(SMOOTHING))
        summary = label_stream(source, stream, sinks,
                               progress=progress(source.total, os.path.basename(path), 'frames'))
    video, plot, table = (s.path for s in sinks)
    return (video, plot if os.path.exists(plot) else None, table), summary
