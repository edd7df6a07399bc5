"""Show the library's own code in a chapter, so the text and the library cannot drift apart."""
import inspect


def show_source(obj):
    """Display the source of a library class or function, highlighted, in a notebook or the book."""
    from IPython.display import Code

    return Code(inspect.getsource(obj), language="python")
