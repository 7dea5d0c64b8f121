"""The kfp 1.x tutorial pipeline: it loads the three component files and
compiles an Argo Workflow (my_pipeline.yaml) with kfp 1.8's compiler.

    python my_pipeline.py            # needs kfp 1.8
    sluice run my_pipeline.yaml      # or upload it to a Sluice server

The same pipeline in Go, from the same component files, is gopipeline/.
"""
import kfp
from kfp import dsl

read_data_op = kfp.components.load_component_from_file('components/read_data_component.yaml')
compute_average_op = kfp.components.load_component_from_file('components/compute_average_component.yaml')
save_result_op = kfp.components.load_component_from_file('components/save_result_component.yaml')


@dsl.pipeline(name='My first pipeline', description='A simple pipeline that computes the average of an array.')
def my_pipeline():
    read_data_task = read_data_op()
    compute_average_task = compute_average_op(read_data_task.output)
    save_result_task = save_result_op(compute_average_task.output)


if __name__ == '__main__':
    kfp.compiler.Compiler().compile(my_pipeline, 'my_pipeline.yaml')
