"""The command lines: ``ppdet-emotion COMMAND ...``, ``python -m ppdet_emotion COMMAND ...`` or
``python -m ppdet_emotion.tools.COMMAND ...`` (the checkout's ``tools/COMMAND.py`` are the same)."""
