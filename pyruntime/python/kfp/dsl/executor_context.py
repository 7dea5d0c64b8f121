"""State shared between the running executor and ``dsl`` helpers
(``get_uri``, ``run_notebook``)."""

import os
import warnings

from kfp.dsl.types import artifact_types

_state = {'task_root': None, 'globals': None}

# Task root used by the SDK's local runner when no real root exists.
_NO_TASK_ROOT = '/tmp/kfp_outputs'


def set_task_root(path):
    _state['task_root'] = path


def task_root():
    return _state['task_root']


def set_module_globals(g):
    _state['globals'] = g


def module_globals():
    return _state['globals']


def get_uri(suffix='Output'):
    """URI for a new artifact below the running task's root directory.

    The task root is the directory of ``outputs.outputFile``; the result is
    ``<task root as URI>/<suffix>``.  The local directory of the task root is
    created so the caller can write to ``Artifact(uri=get_uri()).path``.
    """
    root = _state['task_root']
    if root is None:
        raise RuntimeError(
            'dsl.get_uri() can only be called while a component is executing')
    if root.rstrip('/') == _NO_TASK_ROOT:
        warnings.warn('dsl.get_uri() has no task root to build a URI from; '
                      'returning an empty string')
        return ''
    try:
        os.makedirs(root, exist_ok=True)
    except OSError:
        pass
    return artifact_types.local_path_to_uri(root).rstrip('/') + '/' + suffix
