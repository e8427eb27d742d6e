"""The checkout's script for ``ppdet-emotion merge_cascade_weights`` (``ppdet_emotion/tools/merge_cascade_weights.py``)."""
from ppdet_emotion.tools.merge_cascade_weights import main

if __name__ == '__main__':
    main()
