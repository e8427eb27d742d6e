"""Command-line plumbing shared by the tools: PaddleDetection's ``-c`` / ``-o``, config loading with
``-o key=value`` overrides, and clear errors instead of a traceback wall."""
import argparse
import functools
import sys

import paddle
import yaml
from ppdet.core.workspace import load_config, merge_config

from ..errors import ConfigError, UserError
from ..resources import config_path, shipped_configs


def base_parser(description, config_required=True):
    """An argument parser with PaddleDetection's ``-c`` and ``-o``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('-c', '--config', required=config_required,
                        help='YAML config file, or a shipped config\'s name (e.g. default)')
    parser.add_argument('-o', '--opt', nargs='*', default=[], metavar='KEY=VALUE',
                        help='override config keys, e.g. -o epoch=5 TrainReader.batch_size=32')
    return parser


def parse_overrides(opts):
    """``['a.b=1', ...]`` -> ``[(['a', 'b'], 1), ...]`` with YAML-typed values."""
    pairs = []
    for opt in opts:
        if '=' not in opt:
            raise ConfigError('-o {!r}: expected KEY=VALUE'.format(opt))
        key, value = opt.split('=', 1)
        try:
            pairs.append((key.strip().split('.'), yaml.safe_load(value)))
        except yaml.YAMLError:
            raise ConfigError('-o {!r}: the value is not valid YAML'.format(opt)) from None
    return pairs


def apply_override(cfg, keys, value):
    """Set ``cfg[k0][k1]... = value``; a number indexes a list (``LearningRate.schedulers.0``)
    and an object (``!Tag`` in YAML: a data set, a scheduler) gets the attribute."""
    node = cfg
    for key in keys[:-1]:
        child = get_item(node, key)
        if child is None:
            child = {}
            set_item(node, key, child)
        node = child
    set_item(node, keys[-1], value)


def get_item(node, key):
    if isinstance(node, list):
        return node[list_index(node, key)]
    return node.get(key) if isinstance(node, dict) else getattr(node, key, None)


def set_item(node, key, value):
    if isinstance(node, list):
        node[list_index(node, key)] = value
    elif isinstance(node, dict):
        node[key] = value
    else:
        setattr(node, key, value)


def list_index(node, key):
    if not (key.isdigit() and int(key) < len(node)):
        raise ConfigError('{!r} indexes a list of {} items: expected 0-{}'.format(
            key, len(node), len(node) - 1))
    return int(key)


def load_cfg(name, opts=(), **extra):
    """Load a config (a path or a shipped config's short name, ``_BASE_`` resolved), apply
    overrides and ``extra`` top-level keys."""
    path = config_path(name)
    if path is None:
        raise ConfigError('config file {!r} does not exist, nor is it a shipped config ({})'.format(
            name, ', '.join(shipped_configs())))
    try:
        cfg = load_config(path)
    except yaml.YAMLError as e:
        raise ConfigError('config file {!r} is not valid YAML: {}'.format(path, e)) from None
    except (FileNotFoundError, OSError) as e:
        raise ConfigError('config file {!r}: cannot read a _BASE_ file: {}'.format(path, e)) from None
    for keys, value in parse_overrides(opts):
        try:
            apply_override(cfg, keys, value)
        except (AttributeError, TypeError):
            raise ConfigError('-o {}: {!r} is not a section that holds keys'.format(
                '.'.join(keys), '.'.join(keys[:-1]))) from None
        except ConfigError as e:
            raise ConfigError('-o {}: {}'.format('.'.join(keys), e)) from None
    merge_config({k: v for k, v in extra.items() if v is not None})
    if 'architecture' not in cfg:
        raise ConfigError('config {!r} sets no `architecture`'.format(path))
    select_device(cfg)
    return cfg


def select_device(cfg):
    """Run on the GPU when the config says ``use_gpu: true`` (PaddleDetection's key), else the CPU."""
    if cfg.get('use_gpu') and not (paddle.is_compiled_with_cuda()
                                   and paddle.device.cuda.device_count() > 0):
        raise ConfigError('use_gpu: true, but this paddle build has no CUDA or sees no GPU: '
                          'install paddlepaddle-gpu or pass -o use_gpu=false')
    paddle.set_device('gpu' if cfg.get('use_gpu') else 'cpu')


def run(main):
    """Run ``main``; a UserError prints one clear line and exits with status 2, and a non-zero
    status ``main`` returns is the exit status."""
    @functools.wraps(main)
    def wrapper(argv=None):
        try:
            status = main(argv)
        except UserError as e:
            print('error: {}'.format(e), file=sys.stderr)
            sys.exit(2)
        if status:
            sys.exit(status)
    return wrapper
