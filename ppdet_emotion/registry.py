"""Registration in ``ppdet.core.workspace`` with the config values type-checked at creation.

ppdet reads a module's schema from its ``__init__`` signature, so the check is installed after
ppdet has registered the class: the signature it saw stays the real one.
"""
import functools
import inspect

from ppdet.core.workspace import register as ppdet_register
from ppdet.core.workspace import serializable as ppdet_serializable
from typeguard import TypeCheckError, check_type

from .errors import ConfigError


def _describe(value):
    return '{!r} ({})'.format(value, type(value).__name__)


def check_arguments(cls, init):
    """Wrap ``init`` so that annotated arguments are checked with typeguard."""
    signature = inspect.signature(init)

    @functools.wraps(init)
    def checked_init(self, *args, **kwargs):
        try:
            bound = signature.bind(self, *args, **kwargs)
        except TypeError as e:
            accepted = [p for p in signature.parameters if p != 'self']
            raise ConfigError('config of {}: {}; accepted keys: {}'.format(
                cls.__name__, e, ', '.join(accepted))) from None
        for name, value in bound.arguments.items():
            annotation = signature.parameters[name].annotation
            if annotation is inspect.Parameter.empty or name == 'self':
                continue
            try:
                check_type(value, annotation)
            except TypeCheckError:
                raise ConfigError('config key {}.{}: expected {}, got {}'.format(
                    cls.__name__, name, _type_name(annotation), _describe(value))) from None
        init(self, *args, **kwargs)

    return checked_init


def _type_name(annotation):
    return getattr(annotation, '__name__', None) or str(annotation).replace('typing.', '')


def register(cls):
    """``ppdet.core.workspace.register`` plus type checks of the config values."""
    cls = ppdet_register(cls)
    cls.__init__ = check_arguments(cls, cls.__init__)
    return cls


def register_serializable(cls):
    """Register a class that YAML names with a ``!Tag`` (data sets), type-checked."""
    cls = ppdet_register(ppdet_serializable(cls))
    cls.__init__ = check_arguments(cls, cls.__init__)
    return cls


def register_transform(cls):
    """Register a data op so that reader configs (``sample_transforms``) can name it.

    ppdet's reader looks ops up as attributes of ``ppdet.data.transform``, so the op is set
    there as well as registered with ``register_op``.
    """
    from ppdet.data import transform
    from ppdet.data.transform.operators import register_op
    cls = register_op(cls)
    cls.__init__ = check_arguments(cls, cls.__init__)
    setattr(transform, cls.__name__, cls)
    return cls


def create_child(owner, cfg, key, **kwargs):
    """Create the module that config key ``owner.key`` names; a clear error for an unknown name."""
    from ppdet.core.workspace import create, global_config
    from ppdet.core.config.schema import SchemaDict
    name = cfg[key]
    if not isinstance(name, str) or not isinstance(global_config.get(name), SchemaDict):
        raise ConfigError('config key {}.{}: unknown module {!r}; registered modules of that kind '
                          'include: {}'.format(owner, key, name, ', '.join(
                              _same_kind(global_config, key))))
    return create(name, **kwargs)


def _same_kind(global_config, key):
    from ppdet.core.config.schema import SchemaDict
    names = sorted(k for k, v in global_config.items() if isinstance(v, SchemaDict)
                   and key.lower() in (v.pymodule.__name__.lower()))
    return names or ['(none)']
