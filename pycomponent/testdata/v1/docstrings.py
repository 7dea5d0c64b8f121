from typing import NamedTuple


def google(a: int, b: str = 'x', c: float = 1.0) -> NamedTuple('Out', [('total', int), ('label', str)]):
    """Sums things up, with a description that is long enough to be folded by the YAML writer at eighty columns.

    More text that is not part of the short description.

    Args:
        a (int): the first number, also with a long description so that the flow mapping of the input has to be folded
        b: a label
            on two lines
        c: unused: has a colon

    Returns:
        total: the sum
    """
    return (a, b)


def rest(a: int, b: int) -> int:
    """Adds two numbers.

    :param a: the first
    :param int b: the second
    :returns: the sum
    """
    return a + b


def numpy_style(a: int, b: int) -> int:
    """Multiplies.

    Parameters
    ----------
    a : int
        The first factor.
    b : int
        The second factor,
        on two lines.

    Returns
    -------
    int
        The product.
    """
    return a * b


def broken_google(x: str) -> str:
    """Echo.

    Args:
        x - no colon here, so the Google reading fails
    """
    return x


def no_summary(x: str):
    """
    Args:
        x: the only input
    """
    print(x)
