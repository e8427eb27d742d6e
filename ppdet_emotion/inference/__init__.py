"""Labelling photos, folders, videos and cameras with a cascade, in one flow:
source -> model -> tracker and smoother (streams) -> sinks (pictures, video, JSON, CSV, plot)."""
