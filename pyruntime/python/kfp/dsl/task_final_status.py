"""PipelineTaskFinalStatus: what an exit task receives about its group."""


def _pick(d, *keys):
    for k in keys:
        if k in d and d[k] is not None:
            return d[k]
    return None


class PipelineTaskFinalStatus(object):
    """Final status of the task (group) an exit handler guards.

    Attributes: state ('SUCCEEDED', 'FAILED', ...), pipeline_job_resource_name,
    pipeline_task_name, error_code, error_message.
    """

    def __init__(self, state=None, pipeline_job_resource_name=None,
                 pipeline_task_name=None, error_code=None, error_message=None):
        self.state = state
        self.pipeline_job_resource_name = pipeline_job_resource_name
        self.pipeline_task_name = pipeline_task_name
        self.error_code = error_code
        self.error_message = error_message

    @classmethod
    def from_dict(cls, value):
        """Builds the object from the TASK_FINAL_STATUS struct.

        Accepts the protobuf JSON form (camelCase, ``error: {code, message}``)
        as well as snake_case keys and flat error_code/error_message.
        """
        value = value or {}
        if not isinstance(value, dict):
            raise TypeError('PipelineTaskFinalStatus value must be an object, '
                            'got %r' % (value,))
        error = value.get('error') or {}
        if not isinstance(error, dict):
            error = {}
        return cls(
            state=value.get('state'),
            pipeline_job_resource_name=_pick(value, 'pipelineJobResourceName',
                                             'pipeline_job_resource_name'),
            pipeline_task_name=_pick(value, 'pipelineTaskName',
                                     'pipeline_task_name'),
            error_code=_pick(error, 'code') if error else _pick(
                value, 'errorCode', 'error_code'),
            error_message=_pick(error, 'message') if error else _pick(
                value, 'errorMessage', 'error_message'),
        )

    def __eq__(self, other):
        return isinstance(other, PipelineTaskFinalStatus) and \
            self.__dict__ == other.__dict__

    def __repr__(self):
        return ('PipelineTaskFinalStatus(state=%r, pipeline_job_resource_name'
                '=%r, pipeline_task_name=%r, error_code=%r, error_message=%r)'
                % (self.state, self.pipeline_job_resource_name,
                   self.pipeline_task_name, self.error_code,
                   self.error_message))
