"""``kfp.compiler`` stand-in: importable, but compiling is not supported."""

from kfp.dsl.standins import _Compiler as Compiler  # noqa: F401
