"""Alias of kfp.dsl.types.type_annotations (kfp 2.0.x import path)."""

from kfp.dsl.types.type_annotations import *  # noqa: F401,F403
from kfp.dsl.types.type_annotations import Input  # noqa: F401
from kfp.dsl.types.type_annotations import InputPath  # noqa: F401
from kfp.dsl.types.type_annotations import Output  # noqa: F401
from kfp.dsl.types.type_annotations import OutputPath  # noqa: F401
