"""The learner's language: English, or Korean when the learner works in Korean.

Messages are written in English inside `_("...")` and translated from the catalogue
backprop_lib/locale/ko/LC_MESSAGES/backprop.po (compiled to backprop.mo), kept with
`python scripts/korean.py messages` like the book's own catalogues.
"""
import contextvars
import functools
import gettext
import json
import os
from contextlib import contextmanager
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "backprop"
LANGUAGES = ("en", "ko")


def _notebook_language():
    """The language of the notebook this kernel runs ("ko" for one from the Korean site), or None.
    Jupyter's server tells a kernel which notebook it runs in JPY_SESSION_NAME."""
    name = os.environ.get("JPY_SESSION_NAME", "")
    if not name.endswith(".ipynb"):
        return None
    try:
        with open(name, encoding="utf-8") as f:
            return notebook_language(json.load(f))
    except (OSError, ValueError):
        return None


def declared_language(notebook):
    """What a notebook says its language is: None when metadata.backprop has no "language"; "en" or
    "ko" when it says one of them; "en" for anything else (the value is never used as it is)."""
    meta = notebook.get("metadata") if isinstance(notebook, dict) else None
    backprop = meta.get("backprop") if isinstance(meta, dict) else None
    if not isinstance(backprop, dict) or "language" not in backprop:
        return None
    return backprop["language"] if backprop["language"] in LANGUAGES else "en"


def notebook_language(notebook):
    """A notebook's language: metadata.backprop.language, "en" when it says nothing."""
    return declared_language(notebook) or "en"


# While the grader makes one report: {"chosen": --language, "notebook": what the submission declares}.
_REPORT = contextvars.ContextVar("backprop_report_language", default=None)


@contextmanager
def reporting(chosen=None):
    """Messages made inside are in `chosen` ("en" or "ko"; none: the enclosing reporting()'s choice),
    else in the language the graded notebook declares (declare()), else in the environment's; on
    leaving, the language is as before."""
    outer = _REPORT.get()
    if chosen not in LANGUAGES:
        chosen = outer["chosen"] if outer else None
    token = _REPORT.set({"chosen": chosen, "notebook": None})
    try:
        yield
    finally:
        _REPORT.reset(token)


def declare(notebook_lang):
    """The graded notebook declares its language (declared_language): it counts unless one was chosen."""
    report = _REPORT.get()
    if report is not None:
        report["notebook"] = notebook_lang if notebook_lang in LANGUAGES else None


def language():
    """The report's language while the grader makes one (reporting()); else $BACKPROP_LANG, else the
    notebook's language, else the locale's ($LC_ALL, $LC_MESSAGES, $LANG)."""
    report = _REPORT.get()
    if report is not None and (report["chosen"] or report["notebook"]):
        return report["chosen"] or report["notebook"]
    chosen = os.environ.get("BACKPROP_LANG", "")[:2]
    if chosen in LANGUAGES:
        return chosen
    from_notebook = _notebook_language()
    if from_notebook:
        return from_notebook
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable)
        if value:
            return "ko" if value.startswith("ko") else "en"
    return "en"


def translation(lang=None):
    """The catalogue of `lang` (default: language()); English is the messages themselves."""
    return _catalogue(lang or language())


@functools.lru_cache(maxsize=None)
def _catalogue(lang):
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def _(message, lang=None):
    """`message` in the learner's language (or in `lang`)."""
    return translation(lang).gettext(message) if message else message


def N_(message):
    """Marks a message to translate later (a test's name, kept in a table): returns it unchanged."""
    return message


class Message(str):
    """A message whose value is English (a test's name, also a key), that can still be said in
    Korean: its template (marked with N_) and named fields are kept, and `translated` says it."""

    def __new__(cls, template, /, **fields):  # positional-only: a field may be called cls
        self = super().__new__(cls, template.format(**fields))
        self.template, self.fields = template, fields
        return self

    def __reduce__(self):  # pickled (a batch's worker processes) with its template and fields
        return _message, (self.template, self.fields)


def _message(template, fields):
    return Message(template, **fields)


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


def translated(text, lang=None):
    """`text` in the learner's language (or `lang`): a Message with its fields translated, a plain
    string as the catalogue has it (itself if it has no entry), anything else unchanged."""
    if isinstance(text, Message):
        return _(text.template, lang).format(**{k: translated(v, lang) for k, v in text.fields.items()})
    return _(text, lang) if isinstance(text, str) else text
