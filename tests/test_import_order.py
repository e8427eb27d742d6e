"""The package imports cv2 and PIL before paddle: PyPI's paddlepaddle 2.6.2 breaks their zlib
(PNG decoding fails, Pillow segfaults) when paddle comes first."""
import subprocess
import sys

import pytest

pytestmark = pytest.mark.tools

CHECK = """
import numpy as np, sys
import ppdet_emotion, cv2, PIL.Image
rgb = (np.arange(64 * 64 * 3) % 251).astype(np.uint8).reshape(64, 64, 3)
cv2.imwrite(sys.argv[1], rgb)
assert cv2.imread(sys.argv[1]) is not None, 'cv2 cannot decode PNG'
assert np.asarray(PIL.Image.open(sys.argv[1])).shape == (64, 64, 3)
print('ok')
"""


def test_png_decodes_after_importing_the_package(tmp_path):
    proc = subprocess.run([sys.executable, '-c', CHECK, str(tmp_path / 'x.png')],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip().endswith('ok'), proc.stderr[-2000:]
