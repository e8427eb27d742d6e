"""Paddle runs CPU kernels on one thread unless OMP_NUM_THREADS is set; importing the package sets
it to the usable cores (tools/train.py on 2 cores: 47 -> about 75 images/s), and an explicit value wins."""
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.tools

CHECK = """
import os, ppdet_emotion, paddle
conv = paddle.nn.Conv2D(8, 8, 3)
conv(paddle.ones([16, 8, 64, 64])).sum().backward()
threads = [l.split()[1] for l in open('/proc/self/status') if l.startswith('Threads:')][0]
print(os.environ['OMP_NUM_THREADS'], threads)
"""


def run_check(omp_threads):
    env = {k: v for k, v in os.environ.items() if k != 'OMP_NUM_THREADS'}
    if omp_threads:
        env['OMP_NUM_THREADS'] = omp_threads
    proc = subprocess.run([sys.executable, '-c', CHECK], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    omp, threads = proc.stdout.split()[-2:]
    return omp, int(threads)


@pytest.mark.skipif(not hasattr(os, 'sched_getaffinity') or len(os.sched_getaffinity(0)) < 2,
                    reason='needs a Linux machine with 2 or more usable cores')
def test_kernels_use_every_usable_core_unless_told_otherwise():
    omp, threads = run_check(None)
    assert omp == str(len(os.sched_getaffinity(0)))
    omp_one, threads_one = run_check('1')
    assert omp_one == '1'
    assert threads > threads_one
