"""Placeholder strings the engine substitutes at run time (§4.3)."""

PIPELINE_JOB_NAME_PLACEHOLDER = '{{$.pipeline_job_name}}'
PIPELINE_JOB_RESOURCE_NAME_PLACEHOLDER = '{{$.pipeline_job_resource_name}}'
PIPELINE_JOB_ID_PLACEHOLDER = '{{$.pipeline_job_uuid}}'
PIPELINE_TASK_NAME_PLACEHOLDER = '{{$.pipeline_task_name}}'
PIPELINE_TASK_ID_PLACEHOLDER = '{{$.pipeline_task_uuid}}'
PIPELINE_TASK_EXECUTOR_OUTPUT_PATH_PLACEHOLDER = '{{$.outputs.output_file}}'
PIPELINE_TASK_EXECUTOR_INPUT_PLACEHOLDER = '{{$}}'
PIPELINE_ROOT_PLACEHOLDER = '{{$.pipeline_root}}'
PIPELINE_JOB_CREATE_TIME_UTC_PLACEHOLDER = '{{$.pipeline_job_create_time_utc}}'
PIPELINE_JOB_SCHEDULE_TIME_UTC_PLACEHOLDER = (
    '{{$.pipeline_job_schedule_time_utc}}')
WORKSPACE_PATH_PLACEHOLDER = '{{$.workspace_path}}'
