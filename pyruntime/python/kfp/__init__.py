"""Sluice's stand-in for the ``kfp`` package (runtime part only).

This package implements the contract a KFP lightweight Python component needs
at run time: ``from kfp import dsl``, ``from kfp.dsl import *`` and
``python3 -m kfp.dsl.executor_main``.  It is written for Sluice from the
documented executor contract and contains no compiler.  It uses only the
Python standard library.
"""

# The KFP SDK release whose runtime API this shim mirrors.
__version__ = '2.14.3'

# Marker other code can test for: this is not the real KFP SDK.
__sluice_shim__ = True
