"""The checkout's script for ``ppdet-emotion calibrate_crops`` (``ppdet_emotion/tools/calibrate_crops.py``)."""
from ppdet_emotion.tools.calibrate_crops import main

if __name__ == '__main__':
    main()
