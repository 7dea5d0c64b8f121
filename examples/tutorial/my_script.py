"""The tutorial's three steps as plain Python functions.

Each function becomes a component with

    sluice component from-python my_script.py:read_data -o components/read_data.yaml
    sluice component from-python my_script.py:compute_average -o components/compute_average.yaml
    sluice component from-python my_script.py:save_result -o components/save_result.yaml

A component runs only its own function's source, so each function imports
what it needs inside its body. Type annotations say what flows in and out:
`Output[Dataset]` is a file the step writes, `Input[Dataset]` one it reads,
plain types (str, float, ...) are parameters, and the return value is the
output named "Output".
"""
from kfp.dsl import Artifact, Dataset, Input, Output


def read_data(data: Output[Dataset], numbers: str = "1,2,3,4,5"):
    """Writes the numbers to a dataset, one per line.

    Args:
        data: The numbers, one per line.
        numbers: Comma-separated numbers.
    """
    with open(data.path, "w") as f:
        for x in numbers.split(","):
            if x.strip():
                f.write(str(float(x)) + "\n")


def compute_average(data: Input[Dataset]) -> float:
    """Returns the mean of the numbers in a dataset.

    Args:
        data: The numbers, one per line.

    Returns:
        Output: Their average.
    """
    with open(data.path) as f:
        values = [float(line) for line in f if line.strip()]
    if not values:
        raise ValueError("the dataset holds no numbers")
    return sum(values) / len(values)


def save_result(average: float, result: Output[Artifact]):
    """Saves the average to a file.

    Args:
        average: The number to save.
        result: A file holding the number as text.
    """
    with open(result.path, "w") as f:
        f.write(str(average))

