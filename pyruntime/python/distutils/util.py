"""``distutils.util`` for Pythons without distutils: only strtobool, with
the standard library's behaviour (see the package's docstring)."""


def strtobool(val):
    """Convert a string representation of truth to 1 or 0.

    True values are y, yes, t, true, on and 1; false values are n, no, f,
    false, off and 0 (any case). Raises ValueError for anything else.
    """
    val = val.lower()
    if val in ('y', 'yes', 't', 'true', 'on', '1'):
        return 1
    if val in ('n', 'no', 'f', 'false', 'off', '0'):
        return 0
    raise ValueError('invalid truth value %r' % (val,))
