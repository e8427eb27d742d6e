"""The checkout's script for ``ppdet-emotion release_weights`` (``ppdet_emotion/tools/release_weights.py``)."""
from ppdet_emotion.tools.release_weights import main

if __name__ == '__main__':
    main()
