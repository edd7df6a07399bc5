"""The learner's language: English, or Korean when the learner works in Korean.

Messages are written in English inside `_("...")` and translated from the catalogue
backprop_lib/locale/ko/LC_MESSAGES/backprop.po (compiled to backprop.mo), kept with
`python scripts/korean.py messages` like the book's own catalogues. It holds the messages of this
library only: a program built on it (the grader) keeps its own, and may choose the language of the
messages made while it works (`chooser`).
"""
import contextvars
import functools
import gettext
import json
import os
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


# Who chooses the language of the messages made in this context, before the environment does: None, or a
# function that returns "en", "ko" or None. A program that speaks to someone else sets it for a while
# (the grader, while it writes a report in its reader's language); the learner's side never does.
chooser = contextvars.ContextVar("backprop_language_chooser", default=None)


def language():
    """The language the chooser says (see `chooser`), else $BACKPROP_LANG, else the notebook's language,
    else the locale's ($LC_ALL, $LC_MESSAGES, $LANG)."""
    choose = chooser.get()
    chosen = choose() if choose else None
    if chosen in LANGUAGES:
        return chosen
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
    """Marks a message to translate later (a label kept in a table): returns it unchanged."""
    return message


class Message(str):
    """A message whose value is English (a figure's label; a name that is also a key), that can still be
    said in Korean: its template (marked with N_) and named fields are kept, and `translated` says it."""

    def __new__(cls, template, /, **fields):  # positional-only: a field may be called cls
        self = super().__new__(cls, template.format(**fields))
        self.template, self.fields = template, fields
        return self

    def __reduce__(self):  # pickled (sent to another process) with its template and fields
        return _message, (self.template, self.fields)


def _message(template, fields):
    return Message(template, **fields)


def translated(text, lang=None):
    """`text` in the learner's language (or `lang`): a Message with its fields translated, a plain
    string as the catalogue has it (itself if it has no entry), anything else unchanged."""
    if isinstance(text, Message):
        return _(text.template, lang).format(**{k: translated(v, lang) for k, v in text.fields.items()})
    return _(text, lang) if isinstance(text, str) else text
