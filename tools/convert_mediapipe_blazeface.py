"""The checkout's script for ``ppdet-emotion convert_mediapipe_blazeface`` (``ppdet_emotion/tools/convert_mediapipe_blazeface.py``)."""
from ppdet_emotion.tools.convert_mediapipe_blazeface import main

if __name__ == '__main__':
    main()
