"""The grader's language: each report in its reader's language, and the grader's own messages.

A report is in the language chosen for it (--language), else in the one the graded notebook declares,
else in the environment's (backprop_lib.language.language()). While one is made (reporting()), the
library's messages say it too: reporting() is the library's `chooser` for that while.

The grader's messages are translated from its own catalogue,
backprop_grader/locale/ko/LC_MESSAGES/grader.po (compiled to grader.mo), and then from the library's:
a message both make (a check's label made by backprop_lib.checks) is kept there. `python
scripts/korean.py messages` keeps both catalogues. N_, Message, LANGUAGES, declared_language and
language are the library's own.
"""
import contextvars
import functools
import gettext
from contextlib import contextmanager
from pathlib import Path

from backprop_lib import language as library
from backprop_lib.language import LANGUAGES, N_, Message, declared_language, language  # noqa: F401 (the grader's)

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "grader"

# While the grader makes one report: {"chosen": --language, "notebook": what the submission declares}.
_REPORT = contextvars.ContextVar("backprop_report_language", default=None)


def _report_language():
    """The language of the report being made: the one chosen for it, else the notebook's; or None."""
    report = _REPORT.get()
    return report and (report["chosen"] or report["notebook"])


@contextmanager
def reporting(chosen=None):
    """Messages made inside are in `chosen` ("en" or "ko"; none: the enclosing reporting()'s choice),
    else in the language the graded notebook declares (declare()), else in the environment's; on
    leaving, the language is as before."""
    outer = _REPORT.get()
    if chosen not in LANGUAGES:
        chosen = outer["chosen"] if outer else None
    token = _REPORT.set({"chosen": chosen, "notebook": None})
    asked = library.chooser.set(_report_language)  # the library's messages (a check's) say it too
    try:
        yield
    finally:
        library.chooser.reset(asked)
        _REPORT.reset(token)


def declare(notebook_lang):
    """The graded notebook declares its language (declared_language): it counts unless one was chosen."""
    report = _REPORT.get()
    if report is not None:
        report["notebook"] = notebook_lang if notebook_lang in LANGUAGES else None


def translation(lang=None):
    """The grader's catalogue of `lang` (default: language()), falling back to the library's."""
    return _catalogue(lang or language())


@functools.lru_cache(maxsize=None)
def _catalogue(lang):
    own = gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)
    own.add_fallback(library.translation(lang))
    return own


def _(message, lang=None):
    """`message` in the report's language (or in `lang`)."""
    return translation(lang).gettext(message) if message else message


def translated(text, lang=None):
    """`text` in the report's language (or `lang`): a Message with its fields translated, a plain
    string as the catalogues have it (itself if they have no entry), anything else unchanged."""
    if isinstance(text, Message):
        return _(text.template, lang).format(**{k: translated(v, lang) for k, v in text.fields.items()})
    return _(text, lang) if isinstance(text, str) else text


def message_data(text):
    """A Message as JSON data ({"template", "fields"}, fields as text), a plain string as itself."""
    if not isinstance(text, Message):
        return str(text)
    return {"template": text.template, "fields": {k: message_data(v) for k, v in text.fields.items()}}


def message_from(data, english):
    """The Message that message_data() wrote, if it still says `english` exactly; else `english`."""
    def build(part):
        if not isinstance(part, dict):
            return str(part)
        return Message(str(part["template"]), **{str(k): build(v) for k, v in dict(part["fields"]).items()})
    try:
        message = build(data)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return english
    return message if message == english else english
