"""TaskConfig: the task's own pod settings, injected by the engine."""

_FIELDS = (
    ('affinity', 'affinity'),
    ('tolerations', 'tolerations'),
    ('node_selector', 'nodeSelector'),
    ('env', 'env'),
    ('volumes', 'volumes'),
    ('volume_mounts', 'volumeMounts'),
    ('resources', 'resources'),
)


class TaskConfig(object):
    """Pod-level configuration of the running task (all fields optional)."""

    def __init__(self, affinity=None, tolerations=None, node_selector=None,
                 env=None, volumes=None, volume_mounts=None, resources=None):
        self.affinity = affinity
        self.tolerations = tolerations
        self.node_selector = node_selector
        self.env = env
        self.volumes = volumes
        self.volume_mounts = volume_mounts
        self.resources = resources

    @classmethod
    def from_dict(cls, value):
        value = value or {}
        if not isinstance(value, dict):
            raise TypeError('TaskConfig value must be an object, got %r' %
                            (value,))
        kwargs = {}
        for snake, camel in _FIELDS:
            if camel in value:
                kwargs[snake] = value[camel]
            elif snake in value:
                kwargs[snake] = value[snake]
        return cls(**kwargs)

    def to_dict(self):
        return dict((camel, getattr(self, snake)) for snake, camel in _FIELDS
                    if getattr(self, snake) is not None)

    def __repr__(self):
        return 'TaskConfig(%s)' % ', '.join(
            '%s=%r' % (s, getattr(self, s)) for s, _ in _FIELDS
            if getattr(self, s) is not None)
