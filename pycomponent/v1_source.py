"""The function source kfp 1.8 embeds in a v1 component (part of the
signature_v1.py program: Go runs the concatenation of v1_docstring.py,
v1_source.py and signature_v1.py).

function_source takes the function's block as inspect.getsource finds it,
dedents it and drops the decorator lines; strip_annotations then removes
parameter and return annotations from every `def` in it with the rules of
kfp's lib2to3 fixer: `name: T` becomes `name` (the text from the end of the
name to the end of the annotation goes, what follows stays, so
`b: float = 2.0` becomes `b = 2.0`), and `) -> T:` becomes `):`. Variable
annotations, the body, comments and docstrings are untouched.
"""

import ast
import inspect
import io
import itertools
import textwrap
import tokenize


def function_source(lines, node):
    """lines: the file's text split at '\\n'; node: the FunctionDef."""
    first = node.lineno
    if node.decorator_list:
        first = min(d.lineno for d in node.decorator_list)
    text = '\n'.join(lines[first - 1:])
    block = inspect.getblock(io.StringIO(text).readlines())
    code = textwrap.dedent(''.join(block))
    kept = itertools.dropwhile(lambda x: not x.startswith('def'),
                               code.split('\n'))
    return '\n'.join(kept)


def _char_col(line, byte_col):
    return len(line.encode('utf-8')[:byte_col].decode('utf-8', 'replace'))


def strip_annotations(source):
    tree = ast.parse(source)
    lines = source.split('\n')
    toks = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
            if t.type not in (tokenize.NL, tokenize.COMMENT)]

    def pos(lineno, byte_col):
        return (lineno, _char_col(lines[lineno - 1], byte_col))

    def index_at(p):
        for i, t in enumerate(toks):
            if t.start >= p:
                return i
        return len(toks)

    def end_with_parens(open_from, ann):
        """The end of annotation ann, past the closing parentheses of those
        opened between open_from and its start."""
        start = pos(ann.lineno, ann.col_offset)
        end = pos(ann.end_lineno, ann.end_col_offset)
        opened = sum(1 for t in toks if open_from <= t.start < start and
                     t.type == tokenize.OP and t.string == '(')
        i = index_at(end)
        while opened and i < len(toks):
            if toks[i].type == tokenize.OP and toks[i].string == ')':
                end = toks[i].end
                opened -= 1
            i += 1
        return end

    cuts = []
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        a = fn.args
        for arg in itertools.chain(a.posonlyargs, a.args, [a.vararg],
                                   a.kwonlyargs, [a.kwarg]):
            if arg is None or arg.annotation is None:
                continue
            name_at = pos(arg.lineno, arg.col_offset)
            i = index_at(name_at)
            while i < len(toks) and not (toks[i].type == tokenize.NAME and
                                         toks[i].string == arg.arg):
                i += 1
            start = toks[i].end
            cuts.append((start, end_with_parens(start, arg.annotation)))
        if fn.returns is not None:
            ret_at = pos(fn.returns.lineno, fn.returns.col_offset)
            i = index_at(ret_at) - 1
            while i > 0 and not (toks[i].type == tokenize.OP and
                                 toks[i].string == '->'):
                i -= 1
            arrow = toks[i]
            cuts.append((toks[i - 1].end, end_with_parens(arrow.end,
                                                          fn.returns)))
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)

    def off(p):
        return offsets[p[0] - 1] + p[1]

    out = source
    for start, end in sorted(cuts, reverse=True):
        out = out[:off(start)] + out[off(end):]
    return out
