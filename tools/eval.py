"""The checkout's script for ``ppdet-emotion eval`` (``ppdet_emotion/tools/eval.py``)."""
from ppdet_emotion.tools.eval import main

if __name__ == '__main__':
    main()
