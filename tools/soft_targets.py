"""The checkout's script for ``ppdet-emotion soft_targets`` (``ppdet_emotion/tools/soft_targets.py``)."""
from ppdet_emotion.tools.soft_targets import main

if __name__ == '__main__':
    main()
