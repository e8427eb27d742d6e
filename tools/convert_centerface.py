"""The checkout's script for ``ppdet-emotion convert_centerface`` (``ppdet_emotion/tools/convert_centerface.py``)."""
from ppdet_emotion.tools.convert_centerface import main

if __name__ == '__main__':
    main()
