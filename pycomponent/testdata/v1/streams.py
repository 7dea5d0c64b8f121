"""File passing styles kfp 1.8 offers besides the return value."""
from kfp.components import (InputBinaryFile, InputPath, InputTextFile,
                            OutputBinaryFile, OutputPath, OutputTextFile)


def streams(in_file: InputTextFile(str), out_file: OutputTextFile(str),
            raw: InputBinaryFile(), number_file_path: InputPath(int),
            x_path: OutputPath('JsonObject'), blob_file: OutputBinaryFile('Model'),
            maybe_path: InputPath('CSV') = None):
    """Copies its inputs around.

    Args:
        in_file: text read from a file
        number_file_path: a number, read from its file
    """
    import json
    text = in_file.read()
    out_file.write(text.upper())
    blob_file.write(raw.read()[::-1])
    with open(number_file_path) as f:
        n = int(f.read())
    with open(x_path, 'w') as f:
        json.dump({'n': n, 'text': text}, f)


def text_only(out_file: OutputTextFile()):
    out_file.write('only text')


def collide(output_path: OutputPath(str), Output_path: OutputPath(), data_path: InputPath(),
            data: str = 'x') -> str:
    """Names kfp makes unique: data/data_2 and output/Output/Output_2."""
    return data
