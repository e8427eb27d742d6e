"""The FER2013 expression classes: their names, order and drawing colours live here only."""

FER2013_CLASSES = ('angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral')

# One RGB colour per expression, chosen to stay distinct on photos.
CLASS_COLORS = {
    'angry': (220, 40, 40),
    'disgust': (120, 160, 30),
    'fear': (150, 70, 200),
    'happy': (250, 200, 0),
    'sad': (40, 110, 230),
    'surprise': (250, 120, 20),
    'neutral': (170, 170, 170),
}


def class_index(name, class_names=FER2013_CLASSES, where=''):
    """Index of ``name`` in ``class_names``; a clear error for a name outside the list."""
    key = str(name).strip().lower()
    if key not in class_names:
        from .errors import DataError
        raise DataError('{}unknown expression class {!r}; expected one of: {}'.format(
            where + ': ' if where else '', name, ', '.join(class_names)))
    return class_names.index(key)
