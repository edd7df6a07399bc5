"""The course in two languages: English (the source) and Korean (from locales/ko/).

What Sphinx and MyST-NB do not do by themselves:
- translate notebooks: Sphinx parses each translated message with the page's own parser, and
  for an .ipynb page that parser expects a whole notebook; a message is MyST Markdown, so it
  is parsed as Markdown instead (MyST-NB issue 587), and raw HTML stays raw HTML;
- label the toggles of hidden cells ("Show code cell output") in Korean;
- link each page to the same page in the other language (`language_switch` in the template
  book/_templates/language-switch.html);
- search Korean: words carry particles (연쇄법칙을, 연쇄법칙은), so the index and the query
  both drop a trailing particle, and 연쇄법칙 finds them all;
- show Korean figures: the notebooks run once (in English), and a figure with words carries its
  Korean picture in its output's metadata (backprop_lib/figures.py); the Korean edition shows it;
- give every figure its text alternative in the page's language, from the same metadata: the
  <img>'s alt, and a longer description below it where the figure has one.
"""
import dataclasses
import html
import re
import textwrap
from os import path

from docutils import nodes
from myst_nb.core.render import NbElementRenderer
from myst_nb.sphinx_ import HideCodeCellNode

from sphinx import addnodes
from sphinx.locale import init as init_locale
from sphinx.search import SearchLanguage
from sphinx.transforms import SphinxTransform, i18n
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.i18n import docname_to_domain

LANGUAGES = {"en": "English", "ko": "한국어"}
KOREAN_SUBDIR = "ko"  # the Korean edition is built into _build/html/ko/

_publish_msgstr = i18n.publish_msgstr


def publish_msgstr(app, source, source_path, *args, **kwargs):
    """Parse a translated message of a notebook as MyST Markdown, not as a notebook.

    Sphinx hands a literal message (raw HTML such as `<details>` and `<summary>`) over as a reST
    literal block, "::" and the text indented; MyST would read that as a paragraph "::" (which then
    replaced the HTML: every Korean <details> lost its opening tag and was printed open). A MyST page
    gets the literal block itself."""
    if source_path.endswith(".ipynb"):
        source_path = source_path[: -len(".ipynb")] + ".md"
    if source.startswith(LITERAL_MESSAGE) and source_path.endswith(".md"):
        text = textwrap.dedent(source[len(LITERAL_MESSAGE):])
        return nodes.literal_block(text, text)
    return _publish_msgstr(app, source, source_path, *args, **kwargs)


LITERAL_MESSAGE = "::\n\n"  # how sphinx.transforms.i18n.Locale wraps a literal message


# MyST-NB's toggles of hidden cells, in Korean: it fills "{type}" with an English word (source, output...).
KOREAN_TOGGLES = {"Show code cell source": "코드 보기", "Hide code cell source": "코드 숨기기",
                  "Show code cell output": "실행 결과 보기", "Hide code cell output": "실행 결과 숨기기",
                  "Show code cell outputs": "실행 결과 보기", "Hide code cell outputs": "실행 결과 숨기기",
                  "Show code cell content": "셀 보기", "Hide code cell content": "셀 숨기기"}


class TranslateCellToggles(SphinxPostTransform):
    """The labels of MyST-NB's hidden-cell toggles in the page's language."""
    default_priority = 200  # after myst_nb's HideInputCells (199) has made the toggles
    formats = ("html",)

    def run(self, **kwargs):
        if self.config.language != "ko":
            return
        for toggle in self.document.findall(HideCodeCellNode):
            for key in ("prompt_show", "prompt_hide"):
                toggle[key] = KOREAN_TOGGLES.get(toggle[key], toggle[key])


class TranslateTocCaptions(SphinxTransform):
    """The sidebar's part captions (_toc.yml) in the page's language: sphinx-external-toc adds
    its toctrees after Sphinx has translated the page, so they are translated here."""
    default_priority = 101  # after sphinx_external_toc's InsertToctrees (100)

    def apply(self, **kwargs):
        if not self.config.language or self.config.language == "en":
            return
        dirs = [path.join(self.env.srcdir, d) for d in self.config.locale_dirs]
        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        catalog, found = init_locale(dirs, self.config.language, domain)
        for toctree in self.document.findall(addnodes.toctree):
            if found and toctree.get("caption"):
                toctree["caption"] = catalog.gettext(toctree["caption"])


_render_image = NbElementRenderer.render_image


DESCRIPTION = {"en": "Description of the figure", "ko": "그림 설명"}


def render_image(self, data):
    """MyST-NB's image output, with the picture and its text alternative in the page's language when
    the output has them."""
    language = self.renderer.sphinx_env.config.language or "en"
    metadata = data.output_metadata.get("backprop", {})
    own = metadata.get(language, {}) if isinstance(metadata, dict) else {}
    own = own if isinstance(own, dict) else {}
    if own.get(data.mime_type):
        data = dataclasses.replace(data, content=own[data.mime_type])
    rendered = _render_image(self, data)
    if own.get("alt") and rendered and isinstance(rendered[0], nodes.image):
        rendered[0]["alt"] = own["alt"]
    if own.get("details"):  # a <details> the reader opens, below the picture
        summary = DESCRIPTION.get(language, DESCRIPTION["en"])
        rendered.append(nodes.raw("", f'<details class="figure-description"><summary>{summary}</summary>'
                                      f"<p>{html.escape(own['details'])}</p></details>", format="html"))
    return rendered


def twin_page(pagename, language):
    """(label, relative URL) of the same page in the other edition."""
    depth = pagename.count("/")
    if language == "ko":
        return LANGUAGES["en"], "../" * (depth + 1) + pagename + ".html"
    return LANGUAGES["ko"], "../" * depth + f"{KOREAN_SUBDIR}/{pagename}.html"


def add_language_switch(app, pagename, templatename, context, doctree):
    language = app.config.language or "en"
    label, url = twin_page(pagename, language)
    context["language_switch"] = {"label": label, "url": url, "lang": "en" if language == "ko" else "ko"}


# Particles that follow a Korean noun, longest first.
PARTICLES = ("에서는", "으로는", "에서", "으로", "에게", "까지", "부터", "보다", "처럼", "만큼", "이나",
             "이다", "은", "는", "이", "가", "을", "를", "의", "에", "로", "와", "과", "도", "만")
_HANGUL = re.compile(r"^[\uac00-\ud7a3]+$")


def stem_korean(word):
    """The word without a trailing particle, if at least two syllables are left."""
    if _HANGUL.match(word):
        for particle in PARTICLES:
            if word.endswith(particle) and len(word) - len(particle) >= 2:
                return word[: -len(particle)]
    return word


class SearchKorean(SearchLanguage):
    """Sphinx's default word splitting, with particles dropped (the same rule in Python and in JS)."""
    lang = "ko"
    language_name = "Korean"
    js_stemmer_code = """
var Stemmer = function() {
  var particles = %s;
  this.stemWord = function(w) {
    if (/^[\\uac00-\\ud7a3]+$/.test(w)) {
      for (var i = 0; i < particles.length; i++) {
        var p = particles[i];
        if (w.endsWith(p) && w.length - p.length >= 2) return w.slice(0, w.length - p.length);
      }
    }
    return w.toLowerCase();
  };
};
""" % ("[" + ", ".join(f'"{p}"' for p in PARTICLES) + "]")

    def stem(self, word):
        return stem_korean(word.lower())


def setup(app):
    i18n.publish_msgstr = publish_msgstr
    NbElementRenderer.render_image = render_image
    app.add_search_language(SearchKorean)
    app.add_transform(TranslateTocCaptions)
    app.add_post_transform(TranslateCellToggles)
    app.connect("html-page-context", add_language_switch)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
