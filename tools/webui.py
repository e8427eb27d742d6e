"""The checkout's script for ``ppdet-emotion webui`` (``ppdet_emotion/tools/webui.py``)."""
from ppdet_emotion.tools.webui import main

if __name__ == '__main__':
    main()
