"""What the weight converters share: the config's model to fill, and writing what they filled."""
from ppdet.core.workspace import create

from ppdet_emotion.engine.checkpoint import save_weights_file
from ppdet_emotion.engine.cli import load_cfg


def model_of(config):
    """(config, its architecture created in eval mode) for converted weights to fill."""
    cfg = load_cfg(config)
    model = create(cfg.architecture)
    model.eval()
    return cfg, model


def save_converted(model, state, output, meta, source_file):
    """Load ``state`` into ``model`` (so it must fit), write it with ``meta`` and say so."""
    model.set_state_dict(state)
    path = save_weights_file(output, model.state_dict(), meta)
    print('wrote {} ({} tensors) from {}'.format(path, len(model.state_dict()), source_file))
    return path
