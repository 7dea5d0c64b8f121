"""Minimal ``dsl.run_notebook`` used when the generated component source does
not bind its own (nbclient-based) implementation.

The notebook JSON is parsed directly; its code cells are executed in order in
one namespace inside this interpreter.  Parameters are injected Papermill
style: after the cell tagged ``parameters`` or at the top.  IPython magics
(lines starting with ``%`` or ``!``) are skipped.
"""

import json
import os

from kfp.dsl import executor_context


def _notebook_path():
    g = executor_context.module_globals() or {}
    path = g.get('__KFP_EMBEDDED_ASSET_FILE')
    if not path:
        asset_dir = g.get('__KFP_EMBEDDED_ASSET_DIR')
        rel = g.get('__KFP_NOTEBOOK_REL_PATH')
        if asset_dir and rel:
            path = os.path.join(asset_dir, rel)
    if not path or not os.path.isfile(path):
        raise RuntimeError('run_notebook: no embedded notebook found in the '
                           'component module')
    return path


def _cell_source(cell):
    src = cell.get('source', '')
    if isinstance(src, list):
        src = ''.join(src)
    lines = [
        l for l in src.splitlines()
        if not l.lstrip().startswith(('%', '!'))
    ]
    return '\n'.join(lines) + '\n'


def run_notebook(**kwargs):
    """Executes the component's embedded notebook with ``kwargs`` injected."""
    path = _notebook_path()
    with open(path, 'r', encoding='utf-8') as f:
        nb = json.load(f)
    cells = [c for c in nb.get('cells', []) if c.get('cell_type') == 'code']
    insert_at = 0
    for i, cell in enumerate(cells):
        tags = (cell.get('metadata') or {}).get('tags') or []
        if 'parameters' in tags:
            insert_at = i + 1
            break
    sources = [_cell_source(c) for c in cells]
    if kwargs:
        injected = 'import json\n' + ''.join(
            '%s = json.loads(%r)\n' % (k, json.dumps(v))
            for k, v in kwargs.items())
        sources.insert(insert_at, injected)
    namespace = {'__name__': '__main__', '__file__': path}
    cwd = os.getcwd()
    os.chdir(os.path.dirname(path) or '.')
    try:
        for i, src in enumerate(sources):
            code = compile(src, '<notebook cell %d>' % i, 'exec')
            exec(code, namespace)  # noqa: S102
    finally:
        os.chdir(cwd)
