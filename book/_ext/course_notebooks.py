"""Each edition's notebooks, executed in its own language.

The Korean edition reads each chapter and exercise as the English notebook with its text (Markdown
cells) and the words of its code (comments, the strings a learner reads: backprop_lib/code_words.py)
translated from the page's catalogue, locales/ko/LC_MESSAGES/<page>.po (code messages have the
context "code"); every other token of the code stays the same. The chapters are then executed with
the library in the edition's language (BACKPROP_LANG), so what they print, draw and check is Korean
on Korean pages; `scripts/korean.py build` gives that build an execution cache of its own and puts the
executed notebooks in the Korean site's downloads.
"""
import os
import re
from pathlib import Path

CODE = "code"  # the context of a code cell's messages in a page's catalogue
NOTEBOOK_FOLDERS = ("chapters", "exercises")

# A message stands on its own line(s) of Markdown, after a heading, list, quote or table-cell marker.
_BEFORE = r"(?:^[ \t]*(?:#+|[-*+>]|\d+[.)]|[`:]{3,}\{[\w-]+\})?[ \t]*|(?<=\|)[ \t]*)"
_AFTER = r"(?=[ \t]*(?:\||$))"
_SPACE = r"(?:[ \t]+|[ \t]*\n[ \t]*(?:>[ \t]*)?)"  # a quote's lines start with >


def read_catalogue(po):
    import babel.messages.pofile as pofile

    with Path(po).open("rb") as f:
        return pofile.read_po(f, abort_invalid=True)


def translations(catalogue, context=None):
    """{English: translation} of the catalogue's messages in `context` that are translated and not fuzzy."""
    return {m.id: m.string for m in catalogue
            if m.id and m.string and not m.fuzzy and m.context == context and isinstance(m.id, str)}


def translate_markdown(source, messages):
    """(translated source, messages not found): each message replaced where it stands in the Markdown."""
    missing = []
    for english in sorted(messages, key=len, reverse=True):
        words = _SPACE.join(re.escape(word) for word in english.split())  # the source may wrap lines
        pattern = re.compile("(" + _BEFORE + ")" + words + _AFTER, re.M)
        korean = messages[english]
        source, found = pattern.subn(lambda match: match.group(1) + korean, source)
        if not found:
            missing.append(english)
    return source, missing


def translate_notebook(notebook, catalogue, language):
    """(the notebook in `language`, the messages of its page it could not place). Markdown cells and
    the words of code cells translated, outputs cleared (the edition runs it again), and
    metadata.backprop.language set (the visible checks and the grader then speak it)."""
    import copy

    from backprop_lib import code_words

    notebook = copy.deepcopy(notebook)
    prose, code = translations(catalogue), translations(catalogue, CODE)
    placed, used = set(), set()
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source, missing = translate_markdown(cell.source, prose)
            placed |= set(prose) - set(missing)
        elif cell.cell_type == "code":
            def translation(english):
                used.add(english)
                return code.get(english)
            cell.source = code_words.translate(cell.source, translation)
            cell.outputs, cell.execution_count = [], None
    notebook.metadata.setdefault("backprop", {})["language"] = language
    unplaced = sorted(m for m in set(prose) - placed if not is_untranslatable(m))
    return notebook, unplaced + sorted(set(code) - used)


def is_untranslatable(text):
    """Display math ($$...$$, amsmath: a newline at each end), or HTML with no words a reader sees."""
    if text.startswith("\n") and text.endswith("\n"):
        return True
    return not re.search(r"[^\W\d_]", re.sub(r"</?[a-zA-Z][^>]*>", " ", re.sub(r"<!--.*?-->", " ", text, flags=re.S)))


def page_catalogue(app, docname):
    """The catalogue of a page in the build's language, or None."""
    language = app.config.language
    if not language or language == "en":
        return None
    for folder in app.config.locale_dirs:
        po = Path(app.srcdir, folder, language, "LC_MESSAGES", f"{docname}.po")
        if po.exists():
            return read_catalogue(po)
    return None


def read_translated(app, docname, source):
    """Sphinx's source-read: a chapter or an exercise in the build's language, from its catalogue."""
    if not docname.startswith(tuple(f"{folder}/" for folder in NOTEBOOK_FOLDERS)):
        return
    catalogue = page_catalogue(app, docname)
    if catalogue is None or not source[0].lstrip().startswith("{"):
        return
    import nbformat

    notebook, _ = translate_notebook(nbformat.reads(source[0], as_version=4), catalogue, app.config.language)
    source[0] = nbformat.writes(notebook)


def run_kernels_in_the_editions_language(app, config):
    """The kernels that execute the chapters inherit this process's environment: the library
    (backprop_lib.language) then prints, draws and checks in the edition's language, for as long as
    the build lasts (a process that builds a book, a test's, goes on in its own language after it)."""
    app._language_before = os.environ.get("BACKPROP_LANG")
    os.environ["BACKPROP_LANG"] = config.language or "en"


def restore_the_language(app, exception):
    if app._language_before is None:
        os.environ.pop("BACKPROP_LANG", None)
    else:
        os.environ["BACKPROP_LANG"] = app._language_before


def setup(app):
    app.connect("config-inited", run_kernels_in_the_editions_language)
    app.connect("build-finished", restore_the_language)
    app.connect("source-read", read_translated)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
