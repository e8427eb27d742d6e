"""The checkout's script for ``ppdet-emotion predict_exported`` (``ppdet_emotion/tools/predict_exported.py``)."""
from ppdet_emotion.tools.predict_exported import main

if __name__ == '__main__':
    main()
