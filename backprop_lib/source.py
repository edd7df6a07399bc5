"""Show the library's own code in a chapter, so the text and the library cannot drift apart."""
import inspect
import textwrap
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent  # the directory that holds backprop_lib/


def source_location(obj):
    """Where obj is defined, as the reader finds it in the repository: 'backprop_lib/layers.py:31'."""
    path = Path(inspect.getsourcefile(obj)).resolve()
    line = inspect.getsourcelines(obj)[1]
    try:
        path = path.relative_to(_ROOT)
    except ValueError:  # not under the repository (an installed copy): name the file alone
        path = Path(path.name)
    return f"{path.as_posix()}:{line}"


def show_source(obj):
    """Display the source of a library class or function, headed by its file and line."""
    from IPython.display import Code

    code = textwrap.dedent(inspect.getsource(obj))  # a method starts at column 0, as in an editor
    return Code(f"# {source_location(obj)}\n{code}", language="python")
