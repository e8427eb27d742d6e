"""The checkout's script for ``ppdet-emotion export_model`` (``ppdet_emotion/tools/export_model.py``)."""
from ppdet_emotion.tools.export_model import main

if __name__ == '__main__':
    main()
