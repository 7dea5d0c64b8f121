from typing import Dict, List, Optional

LIMIT = 12


def defaults(s: str = 'text', i: int = 3, f: float = 2.5, f_int: float = 1,
             big: float = 1e20, small: float = 0.00001, b: bool = True,
             l: list = [1, 'a', None, 2.0, True], d: dict = {'z': [1], 'a': {'é': 'ü'}},
             tl: List[int] = [3, 1], td: Dict[str, int] = {'k': 1},
             o: Optional[int] = 7, n: int = None, neg: int = -4, const: int = LIMIT,
             untyped_i=3, untyped_f=0.5, untyped_b=False, untyped_l=[1, 2],
             untyped_d={'x': 'y'}, untyped_s='s', untyped_t=(1, 2),
             str_as_int: int = '5', int_as_str: str = 5, bool_as_int: int = True,
             int_as_bool: bool = 1, name: 'Foo' = 'x', other: 'Foo' = 3,
             word: str = 'yes', off: str = 'off', empty: str = '', spaced: str = ' a ',
             number_text: str = '1.5', hashy: str = 'a #b', colon: str = 'k: v',
             *, kw: str = 'only') -> None:
    pass
