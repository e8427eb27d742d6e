"""The local web app (Gradio) and HTTP API (``POST /api/analyze``) over a cascade config's model;
``tools/webui.py`` serves them."""
