"""Docstrings as kfp 1.8 reads them (part of the signature_v1.py program: Go
runs the concatenation of v1_docstring.py, v1_source.py and signature_v1.py).

kfp 1.8 parses a function's docstring with the docstring_parser package in
its automatic mode: the ReST, Google and NumPy parsers each try, one that
fails is dropped, and the result with the most entries wins (ties go to the
earlier of ReST, Google, NumPy). From the winner kfp takes the short
description (the component's description) and each parameter's description
(the description of the input or output made from it). This module follows
those parsers' rules for that much; the Epydoc style (`@param`) is not read.
"""

import inspect
import re


class DocParseError(Exception):
    pass


def _cleandoc(text):
    return inspect.cleandoc(text)


def _short(desc_chunk):
    return desc_chunk.split('\n', 1)[0] or None


PARAM_KEYWORDS = ('param', 'parameter', 'arg', 'argument', 'attribute', 'key',
                  'keyword')


def parse_rest(text):
    text = _cleandoc(text)
    m = re.search('^:', text, flags=re.M)
    desc_chunk, meta_chunk = (text[:m.start()], text[m.start():]) if m \
        else (text, '')
    short = _short(desc_chunk)
    params, count, returns = {}, 0, False
    rtypes = False
    for match in re.finditer(r'(^:.*?)(?=^:|\Z)', meta_chunk,
                             flags=re.S | re.M):
        chunk = match.group(0)
        if not chunk:
            continue
        try:
            args_chunk, desc = chunk.lstrip(':').split(':', 1)
        except ValueError:
            raise DocParseError(chunk)
        args = args_chunk.split()
        desc = desc.strip()
        if '\n' in desc:
            first, rest = desc.split('\n', 1)
            desc = first + '\n' + _cleandoc(rest)
        if len(args) == 2 and args[0] == 'type':
            continue
        if len(args) in (1, 2) and args[0] == 'rtype':
            rtypes = True
            continue
        if not args:
            raise DocParseError(chunk)
        key = args[0]
        if key in PARAM_KEYWORDS:
            if len(args) == 3:
                name = args[2]
            elif len(args) == 2:
                name = args[1]
            else:
                raise DocParseError(chunk)
            params[name] = desc
        elif key in ('return', 'returns', 'yield', 'yields'):
            returns = True
        count += 1
    if rtypes and not returns:
        count += 1
    return short, params, count


GOOGLE_SECTIONS = {
    'Arguments': 'param', 'Args': 'param', 'Parameters': 'param',
    'Params': 'param', 'Raises': 'raises', 'Exceptions': 'raises',
    'Except': 'raises', 'Attributes': 'attribute', 'Example': 'examples',
    'Examples': 'examples', 'Returns': 'returns', 'Yields': 'yields',
}
GOOGLE_SINGULAR = ('Example', 'Examples')
GOOGLE_SINGULAR_OR_MULTIPLE = ('Returns', 'Yields')
GOOGLE_TITLES = re.compile(
    '^(' + '|'.join('(%s)' % t for t in GOOGLE_SECTIONS) + ')' +
    ':' + '[ \t\r\f\v]*$', flags=re.M)
GOOGLE_TYPED_ARG = re.compile(r'\s*(.+?)\s*\(\s*(.*[^\s]+)\s*\)')


def parse_google(text):
    text = _cleandoc(text)
    m = GOOGLE_TITLES.search(text)
    desc_chunk, meta_chunk = (text[:m.start()], text[m.start():]) if m \
        else (text, '')
    short = _short(desc_chunk)
    params, count = {}, 0
    matches = list(GOOGLE_TITLES.finditer(meta_chunk))
    chunks = {}
    for j, match in enumerate(matches):
        end = matches[j + 1].start() if j + 1 < len(matches) else \
            len(meta_chunk)
        title = match.group(1)
        details = meta_chunk[match.end():end]
        unknown = re.search(r'\n\S', details)
        if unknown is not None:
            details = details[:unknown.start()]
        chunks[title] = details.strip('\n')
    for title, chunk in chunks.items():
        indent = re.search(r'^\s*', chunk).group()
        if title in GOOGLE_SINGULAR or title in GOOGLE_SINGULAR_OR_MULTIPLE:
            count += 1  # one entry, whatever its form
            continue
        starts = list(re.finditer('^' + indent + r'(?=\S)', chunk,
                                  flags=re.M))
        if not starts:
            raise DocParseError(chunk)
        for j, s in enumerate(starts):
            end = starts[j + 1].start() if j + 1 < len(starts) else len(chunk)
            before, desc = _google_item(chunk[s.end():end].strip('\n'))
            if GOOGLE_SECTIONS[title] in PARAM_KEYWORDS:
                typed = GOOGLE_TYPED_ARG.match(before)
                params[typed.group(1) if typed else before] = desc
            count += 1
    return short, params, count


def _google_item(text):
    if ':' not in text:
        raise DocParseError(text)
    before, desc = text.split(':', 1)
    if desc:
        desc = desc[1:] if desc[0] == ' ' else desc
        if '\n' in desc:
            first, rest = desc.split('\n', 1)
            desc = first + '\n' + _cleandoc(rest)
        desc = desc.strip('\n')
    return before, desc


NUMPY_SECTIONS = [
    ('Parameters', 'param'), ('Params', 'param'), ('Arguments', 'param'),
    ('Args', 'param'), ('Other Parameters', 'param'),
    ('Other Params', 'param'), ('Receives', 'param'), ('Receive', 'param'),
    ('Raises', 'kv'), ('Raise', 'kv'), ('Warns', 'kv'), ('Warn', 'kv'),
    ('Attributes', 'param'), ('Attribute', 'param'), ('Returns', 'kv'),
    ('Return', 'kv'), ('Yields', 'kv'), ('Yield', 'kv'),
    ('Examples', 'one'), ('Example', 'one'), ('Warnings', 'one'),
    ('Warning', 'one'), ('See Also', 'one'), ('Related', 'one'),
    ('Notes', 'one'), ('Note', 'one'), ('References', 'one'),
    ('Reference', 'one'),
]
NUMPY_KINDS = dict(NUMPY_SECTIONS)
NUMPY_TITLES = re.compile('|'.join(
    r'^(%s)\s*?\n%s\s*$' % (t, '-' * len(t)) for t, _ in NUMPY_SECTIONS),
    flags=re.M)
NUMPY_KV = re.compile(r'^[^\s].*$', flags=re.M)
NUMPY_PARAM_KEY = re.compile(r'^(?P<name>.*?)(?:\s*:\s*(?P<type>.*?))?$')


def parse_numpy(text):
    text = _cleandoc(text)
    m = NUMPY_TITLES.search(text)
    desc_chunk, meta_chunk = (text[:m.start()], text[m.start():]) if m \
        else (text, '')
    short = _short(desc_chunk)
    params, count = {}, 0
    matches = list(NUMPY_TITLES.finditer(meta_chunk))
    for j, match in enumerate(matches):
        title = next(g for g in match.groups() if g is not None)
        end = matches[j + 1].start() if j + 1 < len(matches) else None
        body = meta_chunk[match.end():end]
        kind = NUMPY_KINDS[title]
        if kind == 'one':
            count += 1
            continue
        kvs = list(NUMPY_KV.finditer(body))
        for k, kv in enumerate(kvs):
            stop = kvs[k + 1].start() if k + 1 < len(kvs) else None
            value = _cleandoc(body[kv.end():stop]).strip() or None
            if kind == 'param':
                pm = NUMPY_PARAM_KEY.match(kv.group())
                if pm is not None:
                    params[pm.group('name')] = value
            count += 1
    return short, params, count


def parse_docstring(doc):
    """-> (short description or None, {parameter name: description})."""
    if not doc:
        return None, {}
    results = []
    for parser in (parse_rest, parse_google, parse_numpy):
        try:
            results.append(parser(doc))
        except DocParseError:
            pass
    if not results:
        return None, {}
    short, params, _ = sorted(results, key=lambda r: r[2], reverse=True)[0]
    if short:
        short = short.strip()
    return short or None, params
