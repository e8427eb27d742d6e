"""Progress of long work: done / total, the rate and the time left, on stderr.

On a terminal the line is redrawn in place; in a log (not a terminal) a line is written at most
every ``interval`` seconds, and at the end.
"""
import sys
import time


def clock(seconds):
    seconds = int(round(seconds))
    return '{}:{:02d}:{:02d}'.format(seconds // 3600, seconds // 60 % 60, seconds % 60)


class Progress(object):
    """Call ``step()`` once per item, ``close()`` at the end. ``total`` None: open-ended (a
    camera), shown without the time left."""

    def __init__(self, total, what, unit='items', interval=10.0, stream=None):
        self.total, self.what, self.unit, self.interval = total, what, unit, interval
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.done = 0
        self.start = self.shown = time.time()

    def line(self):
        elapsed = max(time.time() - self.start, 1e-9)
        rate = self.done / elapsed
        if not self.total:
            return '{}: {} {} ({:.1f} {}/s, {})'.format(self.what, self.done, self.unit, rate,
                                                         self.unit, clock(elapsed))
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        filled = int(20 * self.done / self.total)
        return '{}: [{}{}] {}/{} {} ({:.1f} {}/s, ETA {})'.format(
            self.what, '#' * filled, '.' * (20 - filled), self.done, self.total, self.unit, rate,
            self.unit, clock(left))

    def step(self, count=1):
        self.done += count
        now = time.time()
        if self.live and now - self.shown >= 0.2:
            self.stream.write('\r' + self.line())
            self.stream.flush()
            self.shown = now
        elif not self.live and now - self.shown >= self.interval:
            print(self.line(), file=self.stream, flush=True)
            self.shown = now

    def close(self):
        print(('\r' if self.live else '') + self.line(), file=self.stream, flush=True)
