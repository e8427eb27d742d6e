"""The checkout's script for ``ppdet-emotion train`` (``ppdet_emotion/tools/train.py``)."""
from ppdet_emotion.tools.train import main

if __name__ == '__main__':
    main()
