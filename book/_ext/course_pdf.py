"""The whole course as one PDF per edition, in every page's download menu.

scripts/pdf.py prints each edition's single-page build into the edition's site (the last step of
`make book`); this extension links it from the theme's download menu (⬇) of every page, beside the
page's own files, in the page's language.
"""
import posixpath

# The files scripts/pdf.py writes at the root of each edition (_build/html, _build/html/ko).
PDF_NAMES = {"en": "backprop-course-en.pdf", "ko": "backprop-course-ko.pdf"}
MENU_TEXT = {"en": ("the whole course (.pdf)", "The whole course as one PDF, to read offline or print"),
             "ko": ("강좌 전체 (.pdf)", "강좌 전체를 PDF 하나로: 오프라인에서 읽거나 인쇄할 수 있습니다")}


def pdf_url(language, pagename):
    """The edition's PDF relative to the page `pagename`."""
    return posixpath.relpath(PDF_NAMES.get(language, PDF_NAMES["en"]), posixpath.dirname(pagename) or ".")


def add_pdf_link(app, pagename, templatename, context, doctree):
    """Add the PDF to the page's download menu (built by sphinx-book-theme at priority 501)."""
    language = app.config.language or "en"
    text, tooltip = MENU_TEXT.get(language, MENU_TEXT["en"])
    for button in context.get("header_buttons", []):
        if button.get("label") == "download-buttons":
            button["buttons"].append({"type": "link", "url": pdf_url(language, pagename), "text": text,
                                      "tooltip": tooltip, "icon": "fas fa-book", "label": "download-book-pdf-button"})


def load_mathjax_on_the_single_page(app):
    """Sphinx adds MathJax to a page when that page's own document has math; the single page is the
    root document (no math), with every other document inside: load MathJax there always."""
    if app.builder.name == "singlehtml":
        app.set_html_assets_policy("always")


def setup(app):
    app.connect("builder-inited", load_mathjax_on_the_single_page)
    app.connect("html-page-context", add_pdf_link, priority=503)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
