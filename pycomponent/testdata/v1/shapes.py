"""Source shapes the annotation stripping and the YAML writer must keep."""
import collections
import typing
from typing import NamedTuple, Optional

from kfp.components import InputPath, OutputPath


class Result(NamedTuple):
    score: float
    passed: bool


def decorated(fn):
    return fn


@decorated
def multi_line(
    a: int,  # the first
    b: 'typing.List[str]' = ['x'],
    *,
    flag: bool = False,
) -> (
    float
):
    def inner(x: int, y: str = 'y') -> str:
        z: int = 3  # a variable annotation stays
        return str(x) + y + str(z)

    lam = lambda q: q
    return float(a)


def klass() -> Result:
    class Local:
        def method(self, v: int) -> int:
            return v
    return Result(1.0, True)


def plain_tuple() -> collections.namedtuple('Pair', ['left', 'right']):
    return ('l', 'r')


def keywords() -> typing.NamedTuple('Kw', count=int, names=list):
    return (1, [])


def nothing():
    print('nothing')


def _private__name_() -> Optional['Model']:
    return None


def mapping_type(data_path: InputPath({'GCSPath': {'data_type': 'CSV', 'openapi_schema_validator': {'type': 'string', 'pattern': '^gs://.*$'}}}),
                 out_path: OutputPath({'GcsPath': {'data_type': 'TSV'}})):
    pass


def yes(on: str, n: int = 2) -> NamedTuple('O', [('y', str), ('off', int), ('No', bool)]):
    return (on, n, True)


def unicode_comment(x: str) -> str:
    # café: a non-ASCII comment makes the program a double-quoted scalar
    return x


def trailing_space(x: str) -> str:
    return x 


def tabs(x: str) -> str:
	return x
