"""What a config's architecture is for, asked of its class: ``role`` is ``'cascade'`` (finds and
labels faces), ``'classifier'`` (labels face crops) or ``'detector'`` (finds faces; ppdet's own
detectors say nothing and are detectors). The tools act on the role, never on class names."""
from ppdet.core.workspace import SchemaDict, global_config

from ..errors import ConfigError

CASCADE, CLASSIFIER, DETECTOR = 'cascade', 'classifier', 'detector'


def architecture_role(cfg):
    """The role of ``cfg.architecture``."""
    schema = global_config.get(cfg.architecture)
    if not isinstance(schema, SchemaDict):
        raise ConfigError('architecture {!r} is not a registered module (import ppdet_emotion '
                          'registers ours)'.format(cfg.architecture))
    return getattr(getattr(schema.pymodule, cfg.architecture), 'role', DETECTOR)


def require_role(cfg, role, what):
    """ConfigError unless the config's architecture has ``role``; ``what`` says what needs it."""
    if architecture_role(cfg) != role:
        raise ConfigError('{}: {} needs a {} config, not {} (a {})'.format(
            cfg.filename, what, role, cfg.architecture, architecture_role(cfg)))
