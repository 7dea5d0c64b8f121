"""Input/Output/InputPath/OutputPath/EmbeddedInput annotations and helpers
that classify a function parameter annotation for the executor."""

import typing

from kfp.dsl.types import artifact_types

try:
    from typing import Annotated as _Annotated
except ImportError:  # Python < 3.9
    try:
        from typing_extensions import Annotated as _Annotated
    except ImportError:
        _Annotated = None


class _Marker(object):

    def __init__(self, kind):
        self.kind = kind

    def __repr__(self):
        return '<kfp %s annotation>' % self.kind


INPUT_MARKER = _Marker('input')
OUTPUT_MARKER = _Marker('output')
EMBEDDED_MARKER = _Marker('embedded_input')


class _AnnotatedLite(object):
    """Minimal Annotated[T, marker] for interpreters without Annotated."""

    def __init__(self, origin, marker):
        self.__origin__ = origin
        self.__metadata__ = (marker,)

    def __repr__(self):
        return 'Annotated[%r, %r]' % (self.__origin__, self.__metadata__[0])


class _Wrapper(object):
    """``Input[T]`` -> ``typing.Annotated[T, INPUT_MARKER]``."""

    def __init__(self, name, marker):
        self._name = name
        self._marker = marker

    def __getitem__(self, item):
        if _Annotated is not None:
            return _Annotated[item, self._marker]
        return _AnnotatedLite(item, self._marker)

    def __repr__(self):
        return 'kfp.dsl.%s' % self._name


Input = _Wrapper('Input', INPUT_MARKER)
Output = _Wrapper('Output', OUTPUT_MARKER)
EmbeddedInput = _Wrapper('EmbeddedInput', EMBEDDED_MARKER)


class InputPath(object):
    """Annotation: the function receives the local path of an input."""

    def __init__(self, type=None):  # noqa: A002
        self.type = type

    def __eq__(self, other):
        return isinstance(other, InputPath) and self.type == other.type

    def __hash__(self):
        return hash(('InputPath', repr(self.type)))

    def __repr__(self):
        return 'InputPath(%r)' % (self.type,)


class OutputPath(object):
    """Annotation: the function receives the local path to write an output."""

    def __init__(self, type=None):  # noqa: A002
        self.type = type

    def __eq__(self, other):
        return isinstance(other, OutputPath) and self.type == other.type

    def __hash__(self):
        return hash(('OutputPath', repr(self.type)))

    def __repr__(self):
        return 'OutputPath(%r)' % (self.type,)


_NONE_TYPE = type(None)


def strip_optional(annotation):
    """Optional[X] / Union[X, None] -> X; anything else unchanged."""
    if getattr(annotation, '__origin__', None) is typing.Union:
        args = [a for a in annotation.__args__ if a is not _NONE_TYPE]
        if len(args) == 1:
            return args[0]
    return annotation


def is_optional(annotation):
    if getattr(annotation, '__origin__', None) is typing.Union:
        return _NONE_TYPE in annotation.__args__
    return annotation is None or annotation is _NONE_TYPE


def annotated_parts(annotation):
    """Returns (inner, marker) for Annotated[inner, marker], else None."""
    meta = getattr(annotation, '__metadata__', None)
    if not meta:
        return None
    for m in meta:
        if isinstance(m, _Marker):
            return annotation.__origin__, m
    return None


def list_item(annotation):
    """List[T] / list[T] -> T; otherwise None."""
    origin = getattr(annotation, '__origin__', None)
    if origin in (list, typing.List):
        args = getattr(annotation, '__args__', None) or ()
        if len(args) == 1:
            return args[0]
    return None


def artifact_class_of(annotation):
    """(cls, is_list) if the annotation denotes artifact(s), else None."""
    if isinstance(annotation, str):
        cls = artifact_types.class_for_name(annotation)
        return (cls, False) if cls else None
    if artifact_types.is_artifact_class(annotation):
        return annotation, False
    item = list_item(annotation)
    if item is not None and artifact_types.is_artifact_class(item):
        return item, True
    return None


_PARAM_TYPE_NAMES = frozenset([
    'str', 'string', 'text', 'int', 'integer', 'float', 'double', 'bool',
    'boolean', 'dict', 'jsonobject', 'list', 'jsonarray'
])


def is_parameter_type(t):
    """True for str/int/float/bool/dict/list (and typing forms, v1 names)."""
    t = strip_optional(t)
    if isinstance(t, str):
        return t.lower() in _PARAM_TYPE_NAMES
    if t in (str, int, float, bool, dict, list):
        return True
    origin = getattr(t, '__origin__', None)
    return origin in (list, dict, typing.List, typing.Dict)


def type_name(t):
    return getattr(t, '__name__', None) or repr(t)
