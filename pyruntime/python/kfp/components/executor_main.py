"""kfp 2.0.x entry point: ``python3 -m kfp.components.executor_main``."""

from kfp.dsl.executor_main import main

if __name__ == '__main__':
    main()
