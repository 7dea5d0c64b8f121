"""The tutorial as kfp 1.x code writes it: three functions made into
components with func_to_container_op, then a pipeline (my_pipeline.py).

With kfp 1.8 installed, running this file writes the three component files.
Without it, Sluice writes the same bytes:

    sluice component from-python --v1 tutorial.py:read_data -o components/read_data_component.yaml
    sluice component from-python --v1 tutorial.py:compute_average -o components/compute_average_component.yaml
    sluice component from-python --v1 tutorial.py:save_result -o components/save_result_component.yaml

(--base-image python:3.7 is the default, as in kfp 1.8; --packages would be
packages_to_install.)
"""
from kfp import components


def read_data() -> list:
    data = [1, 2, 3, 4, 5]
    return data


def compute_average(data: list) -> float:
    return sum(data) / len(data)


def save_result(value: float, filename: str = 'result.txt'):
    with open(filename, 'w') as f:
        f.write(str(value))


if __name__ == '__main__':
    components.func_to_container_op(
        read_data, output_component_file='components/read_data_component.yaml',
        base_image='python:3.7', packages_to_install=[])
    components.func_to_container_op(
        compute_average, output_component_file='components/compute_average_component.yaml',
        base_image='python:3.7', packages_to_install=[])
    components.func_to_container_op(
        save_result, output_component_file='components/save_result_component.yaml',
        base_image='python:3.7', packages_to_install=[])
