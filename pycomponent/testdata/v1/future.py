from __future__ import annotations

from kfp.components import OutputPath


def later(a: int, out_path: OutputPath(str)) -> float:
    return 1.0
