"""Alias of kfp.dsl.types.artifact_types (kfp 2.0.x import path)."""

from kfp.dsl.types.artifact_types import *  # noqa: F401,F403
from kfp.dsl.types.artifact_types import Artifact  # noqa: F401
