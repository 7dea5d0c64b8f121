"""Entry point: ``python3 -m kfp.dsl.executor_main --component_module_path P
--executor_input JSON --function_to_execute NAME`` (FORMAT.md §6.2).

Unknown arguments are ignored.  Without --component_module_path the module
is looked up in ``kfp_config.ini`` ([Components] function_name = path.py) in
the working directory.  Exit status is 0 on success and 1 (with a traceback)
when the component raises.
"""

import argparse
import configparser
import importlib.util
import json
import os
import sys
import traceback


def _parse_args(argv):
    parser = argparse.ArgumentParser(prog='kfp.dsl.executor_main',
                                     add_help=False)
    parser.add_argument('--component_module_path', default=None)
    parser.add_argument('--executor_input', default=None)
    parser.add_argument('--function_to_execute', default=None)
    args, _unknown = parser.parse_known_args(argv)
    return args


def _module_path_from_config(function_name):
    config_path = os.path.join(os.getcwd(), 'kfp_config.ini')
    if not os.path.isfile(config_path):
        raise RuntimeError(
            'no --component_module_path given and no kfp_config.ini in %s' %
            os.getcwd())
    config = configparser.ConfigParser()
    config.optionxform = str
    config.read(config_path)
    if not config.has_section('Components') or not config.has_option(
            'Components', function_name):
        raise RuntimeError('kfp_config.ini has no [Components] entry for %r' %
                           function_name)
    return os.path.abspath(config.get('Components', function_name))


def load_module(module_path):
    """Imports the file at module_path; its directory goes first on
    sys.path."""
    module_path = os.path.abspath(module_path)
    module_dir = os.path.dirname(module_path)
    if module_dir not in sys.path:
        sys.path.insert(0, module_dir)
    name = os.path.splitext(os.path.basename(module_path))[0]
    spec = importlib.util.spec_from_file_location(name, module_path)
    if spec is None or spec.loader is None:
        raise ImportError('cannot import component module %s' % module_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def find_function(module, name):
    func = getattr(module, name, None)
    if func is None:
        raise AttributeError('function %r not found in component module %s' %
                             (name, getattr(module, '__file__', module)))
    inner = getattr(func, 'python_func', None)  # PythonComponent wrapper
    if callable(inner):
        func = inner
    if not callable(func):
        raise TypeError('%r in the component module is not callable' % name)
    return func


def run(argv):
    from kfp.dsl.executor import Executor

    args = _parse_args(argv)
    if not args.function_to_execute:
        raise ValueError('--function_to_execute is required')
    if args.executor_input is None:
        raise ValueError('--executor_input is required')
    module_path = args.component_module_path or _module_path_from_config(
        args.function_to_execute)
    print('[sluice-kfp] running %s from %s' %
          (args.function_to_execute, module_path))
    sys.stdout.flush()
    module = load_module(module_path)
    func = find_function(module, args.function_to_execute)
    executor_input = json.loads(args.executor_input)
    return Executor(executor_input, func).execute()


def main(argv=None):
    try:
        run(sys.argv[1:] if argv is None else argv)
    except SystemExit:
        raise
    except BaseException:  # noqa: B902 - report anything the component raised
        sys.stdout.flush()
        traceback.print_exc()
        sys.stderr.flush()
        sys.exit(1)
    sys.stdout.flush()
    sys.exit(0)


if __name__ == '__main__':
    main()
