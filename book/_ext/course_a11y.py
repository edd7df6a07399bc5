"""Every reader: the course's fixes to what Sphinx and the theme write, found by axe-core (tests/test_a11y.py).

- Citations (sphinxcontrib-bibtex through docutils' HTML5 writer) carry role="doc-biblioentry", a role
  that DPUB-ARIA 1.1 deprecated, inside a role="list" that then has no list items (axe's
  aria-deprecated-role and aria-required-children): each entry becomes a list item.
- MyST-NB's toggle of a hidden code cell is named "Toggle hidden content" (aria-label, in English in
  both editions) while it shows "Show code cell source": its name is what it shows (WCAG 2.5.3).
- The Korean edition's search box says its placeholder in Korean (WCAG 3.1.2): the theme takes it from
  jupyter-book's configuration, in English.
The theme's search field and colour switch are overridden in book/_templates (their names left out
what they show); its other words are translated in locales/ko/LC_MESSAGES/sphinx.po.
"""
SEARCH_TEXT = {"ko": "이 책에서 검색..."}


def set_search_text(app, config):
    text = SEARCH_TEXT.get(config.language or "en")
    if text:
        config.html_theme_options = {**config.html_theme_options, "search_bar_text": text}


def fix_body(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if not body:
        return
    body = body.replace('role="doc-biblioentry"', 'role="listitem"')
    body = body.replace('<summary aria-label="Toggle hidden content">', "<summary>")
    context["body"] = body


def setup(app):
    app.connect("config-inited", set_search_text)
    app.connect("html-page-context", fix_body)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
