"""The tutorial pipeline: read numbers, compute their average, save it.

Compile with the KFP SDK (pip install kfp) to get pipeline.yaml:

    python3 pipeline.py
"""
from typing import List

from kfp import compiler, dsl
from kfp.dsl import Artifact, Output


@dsl.component(base_image="python:3.11")
def read_data(numbers: str) -> List[float]:
    """Parses a comma-separated list of numbers."""
    return [float(x) for x in numbers.split(",") if x.strip()]


@dsl.component(base_image="python:3.11")
def compute_average(numbers: List[float]) -> float:
    """Returns the mean of the numbers."""
    return sum(numbers) / len(numbers)


@dsl.component(base_image="python:3.11")
def save_result(average: float, result: Output[Artifact]):
    """Writes the average to the result artifact."""
    with open(result.path, "w") as f:
        f.write(str(average))


@dsl.pipeline(name="tutorial", description="Read numbers, compute their average, save it.")
def tutorial(numbers: str = "1,2,3,4,5") -> Artifact:
    data = read_data(numbers=numbers)
    avg = compute_average(numbers=data.output)
    saved = save_result(average=avg.output)
    return saved.outputs["result"]


if __name__ == "__main__":
    compiler.Compiler().compile(tutorial, "pipeline.yaml")
