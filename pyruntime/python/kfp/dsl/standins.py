"""Harmless stand-ins for the compile-time part of ``kfp.dsl``.

Sluice never compiles pipelines with this package; these objects only exist so
that component source which still carries decorators or pipeline definitions
(e.g. containerized components found via kfp_config.ini) imports cleanly.
Decorators return the function unchanged; everything else accepts any
arguments and does nothing.
"""


class StandIn(object):
    """Accepts any call, attribute, item or ``with``; returns itself."""

    def __init__(self, *args, **kwargs):
        self._args = args
        self._kwargs = kwargs

    def __call__(self, *args, **kwargs):
        return self

    def __getattr__(self, name):
        if name.startswith('__') and name.endswith('__'):
            raise AttributeError(name)
        return self

    def __getitem__(self, item):
        return self

    def __iter__(self):
        return iter(())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __bool__(self):
        return True

    def __repr__(self):
        return '<kfp stand-in %s>' % type(self).__name__


def _decorator(func=None, **kwargs):
    if func is not None and callable(func):
        return func

    def wrap(f):
        return f

    return wrap


def component(func=None, **kwargs):
    """Stand-in for @dsl.component: returns the function unchanged."""
    return _decorator(func, **kwargs)


def pipeline(func=None, **kwargs):
    """Stand-in for @dsl.pipeline: returns the function unchanged."""
    return _decorator(func, **kwargs)


def container_component(func=None, **kwargs):
    """Stand-in for @dsl.container_component: returns the function."""
    return _decorator(func, **kwargs)


def notebook_component(func=None, **kwargs):
    """Stand-in for @dsl.notebook_component: returns the function."""
    return _decorator(func, **kwargs)


class ContainerSpec(object):
    """Container description returned by container components."""

    def __init__(self, image, command=None, args=None):
        self.image = image
        self.command = command
        self.args = args

    def __repr__(self):
        return 'ContainerSpec(image=%r, command=%r, args=%r)' % (
            self.image, self.command, self.args)


class PipelineTask(StandIn):
    pass


class ParallelFor(StandIn):
    pass


class Condition(StandIn):
    pass


class If(StandIn):
    pass


class Elif(StandIn):
    pass


class Else(StandIn):
    pass


class ExitHandler(StandIn):
    pass


class Collected(StandIn):
    pass


class ConcatPlaceholder(StandIn):
    pass


class IfPresentPlaceholder(StandIn):
    pass


class PipelineConfig(StandIn):
    pass


class WorkspaceConfig(StandIn):
    pass


class KubernetesWorkspaceConfig(StandIn):
    pass


def OneOf(*args):  # noqa: N802
    return StandIn(*args)


def importer(*args, **kwargs):
    return PipelineTask(*args, **kwargs)


class _Compiler(StandIn):

    def compile(self, *args, **kwargs):
        raise NotImplementedError(
            'This is the Sluice runtime shim for kfp; it cannot compile '
            'pipelines. Install the real kfp SDK to compile.')
