"""Reports which requirements are not installed in this interpreter.

Run by pyruntime.CheckInstalled as ``python3 -c <this file>``. Reads a JSON
list of {"name", "marker"} on stdin and prints one JSON object:
{"python": "3.11.7", "missing": [indexes], "skipped": [indexes]}.
"skipped" are requirements whose environment marker is false here. Only the
presence of a distribution is checked, never its version. Stdlib only.
"""
import json
import os
import platform
import re
import sys


def _norm(name):
    return re.sub(r'[-_.]+', '-', name).lower()


def _environment():
    iv = sys.implementation.version
    impl_version = '%d.%d.%d' % (iv.major, iv.minor, iv.micro)
    if iv.releaselevel != 'final':
        impl_version += iv.releaselevel[0] + str(iv.serial)
    return {
        'python_version': '%d.%d' % sys.version_info[:2],
        'python_full_version': platform.python_version(),
        'os_name': os.name,
        'sys_platform': sys.platform,
        'platform_release': platform.release(),
        'platform_system': platform.system(),
        'platform_version': platform.version(),
        'platform_machine': platform.machine(),
        'platform_python_implementation': platform.python_implementation(),
        'implementation_name': sys.implementation.name,
        'implementation_version': impl_version,
        'extra': '',
    }


_TOKEN = re.compile(r'''\s*(?:
    (?P<str>'[^']*'|"[^"]*")
  | (?P<op>===|==|!=|<=|>=|~=|<|>|\(|\)|not\s+in\b|in\b|and\b|or\b)
  | (?P<var>[A-Za-z_][A-Za-z0-9_.]*)
)''', re.VERBOSE)


def _tokens(text):
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError('cannot parse marker %r at %d' % (text, pos))
        pos = m.end()
        if m.group('str') is not None:
            out.append(('str', m.group('str')[1:-1]))
        elif m.group('op') is not None:
            out.append(('op', ' '.join(m.group('op').split())))
        else:
            out.append(('var', m.group('var')))
    return out


def _version(s):
    m = re.match(r'^\s*v?(\d+(?:\.\d+)*)', s)
    return tuple(int(p) for p in m.group(1).split('.')) if m else None


def _cmp_versions(a, b):
    n = max(len(a), len(b))
    a, b = a + (0,) * (n - len(a)), b + (0,) * (n - len(b))
    return (a > b) - (a < b)


def _compare(left, op, right):
    if op == 'in':
        return left in right
    if op == 'not in':
        return left not in right
    if op == '===':
        return left == right
    if op in ('==', '!=') and right.endswith('.*'):
        ok = (left + '.').startswith(right[:-1])
        return ok if op == '==' else not ok
    lv, rv = _version(left), _version(right)
    if lv is None or rv is None:
        c = (left > right) - (left < right)
    else:
        c = _cmp_versions(lv, rv)
    if op == '~=':
        if lv is None or rv is None or len(rv) < 2:
            return c >= 0
        return c >= 0 and lv[:len(rv) - 1] == rv[:-1]
    return {'==': c == 0, '!=': c != 0, '<': c < 0, '<=': c <= 0,
            '>': c > 0, '>=': c >= 0}[op]


class _Parser(object):

    def __init__(self, tokens, env):
        self.t, self.i, self.env = tokens, 0, env

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else (None, None)

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def value(self):
        kind, v = self.take()
        if kind == 'str':
            return v
        if kind == 'var':
            return self.env.get(v.replace('.', '_'), '')
        raise ValueError('expected a value in marker')

    def atom(self):
        if self.peek() == ('op', '('):
            self.take()
            v = self.expr()
            if self.take() != ('op', ')'):
                raise ValueError('missing ) in marker')
            return v
        left = self.value()
        kind, op = self.take()
        if kind != 'op' or op in ('and', 'or', '(', ')'):
            raise ValueError('expected a comparison in marker')
        return _compare(left, op, self.value())

    def conj(self):
        v = self.atom()
        while self.peek() == ('op', 'and'):
            self.take()
            v = self.atom() and v
        return v

    def expr(self):
        v = self.conj()
        while self.peek() == ('op', 'or'):
            self.take()
            v = self.conj() or v
        return v


def marker_true(marker, env):
    if not marker:
        return True
    p = _Parser(_tokens(marker), env)
    v = p.expr()
    if p.i != len(p.t):
        raise ValueError('trailing text in marker %r' % marker)
    return v


def installed_names():
    try:
        from importlib import metadata
    except ImportError:
        try:
            import importlib_metadata as metadata
        except ImportError:
            metadata = None
    names = set()
    if metadata is not None:
        for dist in metadata.distributions():
            try:
                name = dist.metadata['Name']
            except Exception:
                name = None
            if name:
                names.add(_norm(name))
        return names
    import pkg_resources
    return set(_norm(d.project_name) for d in pkg_resources.working_set)


def main():
    reqs = json.load(sys.stdin)
    env = _environment()
    have = installed_names()
    missing, skipped, errors = [], [], []
    for i, req in enumerate(reqs):
        try:
            applies = marker_true(req.get('marker') or '', env)
        except ValueError as e:
            errors.append(str(e))
            applies = True
        if not applies:
            skipped.append(i)
        elif not req.get('name') or _norm(req['name']) not in have:
            missing.append(i)
    json.dump({'python': platform.python_version(), 'missing': missing,
               'skipped': skipped, 'marker_errors': errors}, sys.stdout)


main()
