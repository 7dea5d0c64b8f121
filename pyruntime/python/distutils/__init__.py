"""Sluice's stand-in for ``distutils`` where Python has none.

Components that kfp 1.8 generated read Boolean inputs with
``from distutils.util import strtobool``. Python 3.12 removed distutils, and
some distributions ship 3.11 without it; there ``distutils.util`` is the
small module next to this file. Where the standard library still has
distutils, this package is that one: the standard library's directory comes
first on this package's path (so its modules are the ones imported) and its
``__init__`` runs here.
"""

import os as _os

_std = _os.path.join(_os.path.dirname(_os.__file__), 'distutils')
if _os.path.isfile(_os.path.join(_std, '__init__.py')):
    __path__.insert(0, _std)
    with open(_os.path.join(_std, '__init__.py')) as _f:
        exec(compile(_f.read(), _os.path.join(_std, '__init__.py'), 'exec'))
    del _f
del _os, _std
