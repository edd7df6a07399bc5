"""The learner's language: English, or Korean when the learner works in Korean.

Messages are written in English inside `_("...")` and translated from the catalogue
backprop_lib/locale/ko/LC_MESSAGES/backprop.po (compiled to backprop.mo), kept with
`python scripts/korean.py messages` like the book's own catalogues.
"""
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


def notebook_language(notebook):
    """A notebook's language: metadata.backprop.language, "en" when it says nothing."""
    meta = notebook.get("metadata", {}) if isinstance(notebook, dict) else {}
    language = meta.get("backprop", {}).get("language") if isinstance(meta.get("backprop"), dict) else None
    return language if language in LANGUAGES else "en"


def language():
    """$BACKPROP_LANG, else the notebook's language, else the locale's ($LC_ALL, $LC_MESSAGES, $LANG)."""
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
    lang = lang or language()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def _(message, lang=None):
    """`message` in the learner's language (or in `lang`)."""
    return translation(lang).gettext(message)


def N_(message):
    """Marks a message to translate later (a test's name, kept in a table): returns it unchanged."""
    return message
