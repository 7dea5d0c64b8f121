"""``kfp.dsl`` for running lightweight Python components (Sluice shim).

Provides the runtime names component code uses (artifact classes, Input/
Output annotations, PipelineTaskFinalStatus, TaskConfig, get_uri, the
placeholder constants, run_notebook) plus harmless stand-ins for the
compile-time API (component, pipeline, ParallelFor, ...).
"""

from kfp.dsl.constants import PIPELINE_JOB_CREATE_TIME_UTC_PLACEHOLDER
from kfp.dsl.constants import PIPELINE_JOB_ID_PLACEHOLDER
from kfp.dsl.constants import PIPELINE_JOB_NAME_PLACEHOLDER
from kfp.dsl.constants import PIPELINE_JOB_RESOURCE_NAME_PLACEHOLDER
from kfp.dsl.constants import PIPELINE_JOB_SCHEDULE_TIME_UTC_PLACEHOLDER
from kfp.dsl.constants import PIPELINE_ROOT_PLACEHOLDER
from kfp.dsl.constants import PIPELINE_TASK_EXECUTOR_INPUT_PLACEHOLDER
from kfp.dsl.constants import PIPELINE_TASK_EXECUTOR_OUTPUT_PATH_PLACEHOLDER
from kfp.dsl.constants import PIPELINE_TASK_ID_PLACEHOLDER
from kfp.dsl.constants import PIPELINE_TASK_NAME_PLACEHOLDER
from kfp.dsl.constants import WORKSPACE_PATH_PLACEHOLDER
from kfp.dsl.executor_context import get_uri
from kfp.dsl.notebook import run_notebook
from kfp.dsl.standins import Collected
from kfp.dsl.standins import component
from kfp.dsl.standins import ConcatPlaceholder
from kfp.dsl.standins import Condition
from kfp.dsl.standins import container_component
from kfp.dsl.standins import ContainerSpec
from kfp.dsl.standins import Elif
from kfp.dsl.standins import Else
from kfp.dsl.standins import ExitHandler
from kfp.dsl.standins import If
from kfp.dsl.standins import IfPresentPlaceholder
from kfp.dsl.standins import importer
from kfp.dsl.standins import KubernetesWorkspaceConfig
from kfp.dsl.standins import notebook_component
from kfp.dsl.standins import OneOf
from kfp.dsl.standins import ParallelFor
from kfp.dsl.standins import pipeline
from kfp.dsl.standins import PipelineConfig
from kfp.dsl.standins import PipelineTask
from kfp.dsl.standins import StandIn as _StandIn
from kfp.dsl.standins import WorkspaceConfig
from kfp.dsl.task_config import TaskConfig
from kfp.dsl.task_final_status import PipelineTaskFinalStatus
from kfp.dsl.types.artifact_types import Artifact
from kfp.dsl.types.artifact_types import ClassificationMetrics
from kfp.dsl.types.artifact_types import Dataset
from kfp.dsl.types.artifact_types import HTML
from kfp.dsl.types.artifact_types import Markdown
from kfp.dsl.types.artifact_types import Metrics
from kfp.dsl.types.artifact_types import Model
from kfp.dsl.types.artifact_types import SlicedClassificationMetrics
from kfp.dsl.types.type_annotations import EmbeddedInput
from kfp.dsl.types.type_annotations import Input
from kfp.dsl.types.type_annotations import InputPath
from kfp.dsl.types.type_annotations import Output
from kfp.dsl.types.type_annotations import OutputPath

__all__ = [
    'Artifact', 'ClassificationMetrics', 'Dataset', 'HTML', 'Markdown',
    'Metrics', 'Model', 'SlicedClassificationMetrics', 'Input', 'Output',
    'InputPath', 'OutputPath', 'EmbeddedInput', 'PipelineTaskFinalStatus',
    'TaskConfig', 'get_uri', 'run_notebook', 'component', 'pipeline',
    'container_component', 'notebook_component', 'ContainerSpec',
    'PipelineTask', 'ParallelFor', 'Condition', 'If', 'Elif', 'Else',
    'ExitHandler', 'Collected', 'OneOf', 'importer', 'ConcatPlaceholder',
    'IfPresentPlaceholder', 'PipelineConfig', 'WorkspaceConfig',
    'KubernetesWorkspaceConfig', 'PIPELINE_JOB_NAME_PLACEHOLDER',
    'PIPELINE_JOB_RESOURCE_NAME_PLACEHOLDER', 'PIPELINE_JOB_ID_PLACEHOLDER',
    'PIPELINE_TASK_NAME_PLACEHOLDER', 'PIPELINE_TASK_ID_PLACEHOLDER',
    'PIPELINE_TASK_EXECUTOR_OUTPUT_PATH_PLACEHOLDER',
    'PIPELINE_TASK_EXECUTOR_INPUT_PLACEHOLDER', 'PIPELINE_ROOT_PLACEHOLDER',
    'PIPELINE_JOB_CREATE_TIME_UTC_PLACEHOLDER',
    'PIPELINE_JOB_SCHEDULE_TIME_UTC_PLACEHOLDER', 'WORKSPACE_PATH_PLACEHOLDER'
]


def __getattr__(name):
    """Any other public ``dsl`` name resolves to a do-nothing stand-in so
    that compile-time code in component modules does not break imports."""
    if name.startswith('_'):
        raise AttributeError(name)
    return _StandIn
