"""The checkout's script for ``ppdet-emotion infer`` (``ppdet_emotion/tools/infer.py``)."""
from ppdet_emotion.tools.infer import main

if __name__ == '__main__':
    main()
