"""Hide nbval's cell markers (``# NBVAL_IGNORE_OUTPUT`` ...) from the code on the website.

The markers tell the notebook tests (tests/README.md) which outputs not to compare; a
reader of the site has no use for them. The notebooks themselves keep them.
"""
import re

from docutils import nodes

MARKER_LINE = re.compile(r"^[ \t]*# ?NBVAL_[A-Z_]+[^\n]*(\n|$)", re.MULTILINE)


def strip_markers(app, doctree):
    """Remove marker lines from the source of every code cell (not from the outputs)."""
    for block in list(doctree.findall(nodes.literal_block)):
        cell_input = block.parent
        if not (isinstance(cell_input, nodes.container) and "cell_input" in cell_input.get("classes", [])):
            continue
        text = block.astext()
        if "NBVAL_" not in text:
            continue
        stripped = MARKER_LINE.sub("", text)
        block.rawsource = stripped
        block.children = [nodes.Text(stripped)]


def setup(app):
    app.connect("doctree-read", strip_markers)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
