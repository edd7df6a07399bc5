"""Figures in the learner's language, and their Korean twin for the website.

A figure function decorated with `@in_language` takes `lang=None` ("en", "ko"; default: the
learner's language, backprop_lib.language) and draws every word through `_(message, lang)`.
Its figure remembers how to draw itself again (`figure.remake(lang)`), so that a notebook
run once in English also carries the Korean picture: `korean_metadata` puts it in the
output's metadata, {"backprop": {"ko": {"image/png": ...}}}, which JupyterLab and the
English site ignore and the Korean site shows (book/_ext/course_i18n.py).

Every figure also says what it shows, for a reader who cannot see it: the code that draws it sets
`figure.describe`, a function of the language that returns (alt text, longer description or None)
from the same numbers it drew, so that the words cannot drift from the picture. `figure_metadata`
puts both languages' descriptions in the output's metadata, {"backprop": {"en": {"alt": ...},
"ko": {"alt": ..., "image/png": ...}}}; the site uses them as the <img>'s alt (and a "Description"
below the image for the longer one).

Korean text needs a font with Hangul: Nanum Gothic (Debian's fonts-nanum, installed by
scripts/system-deps.sh), registered with matplotlib only when a Korean figure is drawn and
used only for the characters that DejaVu Sans, matplotlib's own font, does not have.
"""
import base64
import dataclasses
import functools
import os
import re
import warnings
from contextlib import contextmanager, nullcontext

import matplotlib
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.text import Text

from .language import LANGUAGES, _, language

HANGUL_FONT = "NanumGothic"
HANGUL_FONT_FILES = ("NanumGothic.ttf", "NanumGothicBold.ttf")  # regular, and bold for the boxes' labels


@functools.cache
def hangul_font():
    """The name of a font with Hangul that matplotlib can use, or None (registered once)."""
    fonts = font_manager.fontManager
    known = {os.path.basename(font.fname) for font in fonts.ttflist}
    for path in font_manager.findSystemFonts(fontext="ttf"):
        if os.path.basename(path) in set(HANGUL_FONT_FILES) - known:
            fonts.addfont(path)
            known.add(os.path.basename(path))
    # NanumGothicBold.ttf is the family's bold, though its tables say weight 600: say 700, as DejaVu
    # Sans Bold does, so that matplotlib finds both for a bold label without a warning
    fonts.ttflist = [dataclasses.replace(font, weight=700) if os.path.basename(font.fname) == HANGUL_FONT_FILES[1]
                     else font for font in fonts.ttflist]
    fonts._findfont_cached.cache_clear()
    return HANGUL_FONT if HANGUL_FONT_FILES[0] in known else None


@functools.cache
def _warn_no_hangul_font():
    warnings.warn("no Korean font for matplotlib: figures stay in English "
                  "(install Nanum Gothic: apt-get install fonts-nanum)", stacklevel=4)


def figure_language(lang=None):
    """The language a figure is drawn in: `lang` or the learner's; English (with a warning, once)
    where no font has Hangul, so that a figure never shows empty boxes."""
    lang = lang or language()
    if lang == "ko" and not hangul_font():
        _warn_no_hangul_font()
        return "en"
    return lang if lang == "ko" else "en"


def fonts_for(lang):
    """A context in which text falls back to the Hangul font for the characters DejaVu Sans lacks."""
    if lang != "ko" or not hangul_font():
        return nullcontext()
    # a list of families, not the generic "sans-serif" (which matplotlib resolves to one font only)
    return matplotlib.rc_context({"font.family": ["DejaVu Sans", HANGUL_FONT]})


class CourseFigure(Figure):
    """A Figure drawn in one language (`lang`) that can draw itself in another (`remake(lang)`)."""

    lang = "en"
    remake = None  # set by @in_language
    describe = None  # set by the code that draws it: lang -> (alt text, longer description or None)

    def __repr__(self):  # "<Figure size ...>", as matplotlib's own; GraphFigure keeps its name
        return super().__repr__().replace("<CourseFigure ", "<Figure ", 1)

    def _repr_png_(self):
        """The PNG that a notebook's inline backend makes of a Figure (tight, at the figure's dpi),
        also where pyplot was never imported."""
        from IPython.core.pylabtools import print_figure

        return print_figure(self, "png", bbox_inches="tight")

    def draw(self, renderer):
        with fonts_for(self.lang):  # tick labels and the like are made while drawing
            return super().draw(renderer)

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {}, figure_metadata(self)  # the picture itself: IPython's usual PNG formatter


def in_language(make):
    """Decorate a function that draws a CourseFigure: it gets `lang`, Korean fonts, and `remake`."""
    @functools.wraps(make)
    def in_lang(*args, lang=None, **kwargs):
        lang = figure_language(lang)
        with fonts_for(lang):
            figure = make(*args, lang=lang, **kwargs)
        if isinstance(figure, CourseFigure) and kwargs.get("ax") is None:  # not a panel of someone's figure
            figure.lang = lang
            figure.remake = functools.partial(in_lang, *args, **kwargs)
        return figure
    return in_lang


def texts(figure):
    """Every non-empty text of a figure (titles, labels, tick labels, legend entries), in order."""
    return [t.get_text() for t in figure.findobj(Text) if t.get_text()]


def _live_front_end():
    """True when a Jupyter server runs this kernel (a learner at work), not a headless run."""
    return "JPY_SESSION_NAME" in os.environ


def described(shown, lang="en"):
    """(alt text, longer description or None) of a shown figure in `lang`; (None, None) if it has none."""
    describe = getattr(shown, "describe", None)
    if describe is None:
        return None, None
    alt, details = describe(lang)
    return " ".join(alt.split()), (" ".join(details.split()) if details else None)


def spoken(text):
    """A label as a screen reader should read it: mathtext ($\\dfrac{\\partial L}{\\partial x}$) as
    plain text (∂L/∂x), line breaks as spaces, numbers formatted as on the figure."""
    if not isinstance(text, str):
        return text
    text = text.replace(r"\partial ", r"\partial")
    while True:  # innermost fractions first; a product of fractions gets a dot between them
        text, found = re.subn(r"\\d?frac\{([^{}]*)\}\{([^{}]*)\}", "\x01\\1/\\2\x02", text)
        if not found:
            break
    text = re.sub("\x02(?=[\x01\\w(\\\\])", " · ", text).replace("\x01", "").replace("\x02", "")
    for tex, plain in ((r"\partial", "∂"), (r"\cdot", "·"), (r"\exp", "exp"), (r"\sigma", "σ"),
                       (r"\,", " "), ("**2", "²"), ("^2", "²")):
        text = text.replace(tex, plain)
    text = re.sub(r"_\{([^{}]*)\}", r"\1", text).replace("_", "")
    text = re.sub(r"\\([A-Za-z]+)", r"\1", text)
    return " ".join(text.replace("$", "").replace("{", "").replace("}", "").split())


def figure_metadata(shown):
    """Output metadata of a shown figure: its descriptions in every language, and its Korean PNG
    (korean_metadata) when it is an English figure with words."""
    metadata = korean_metadata(shown)
    for lang in LANGUAGES:
        alt, details = described(shown, lang)
        if alt:
            entry = metadata.setdefault("backprop", {}).setdefault(lang, {})
            entry.update({"alt": alt, **({"details": details} if details else {})})
    return metadata


def listing(items, lang):
    """Items joined as a list in `lang`: "a, b and c" in English, "a, b, c" in Korean."""
    items = [str(item) for item in items]
    if len(items) < 2:
        return "".join(items)
    return _("{first} and {last}", lang).format(first=", ".join(items[:-1]), last=items[-1])


def korean_metadata(shown):
    """Output metadata holding the Korean PNG of an English figure that has words, for the website.

    `shown` is what the notebook displays (a CourseFigure, or an object with `.remake`); its
    Korean twin is rendered by IPython's own PNG formatter, as the English one is. Nothing
    for a learner at work in JupyterLab, for a Korean figure, or for a figure without words.
    """
    remake = getattr(shown, "remake", None)
    if remake is None or getattr(shown, "lang", "en") != "en" or _live_front_end() or hangul_font() is None:
        return {}
    try:
        from IPython import get_ipython
    except ImportError:
        return {}
    shell = get_ipython()
    if shell is None:
        return {}
    korean = remake(lang="ko")
    if texts(getattr(korean, "figure", korean)) == texts(getattr(shown, "figure", shown)):
        return {}  # no words: the Korean page shows the same picture
    png = shell.display_formatter.formatters["image/png"](korean)
    png = png[0] if isinstance(png, tuple) else png
    if not png:
        return {}
    if isinstance(png, bytes):
        png = base64.b64encode(png).decode("ascii")
    return {"backprop": {"ko": {"image/png": png}}}
