"""Put the course's Python package on the website, so that a reader with only the site can run it.

At the start of the build, `pip wheel` builds the wheel of this repository (backprop_lib and
backprop_grader, with the released exercise notebooks the grader compares against) into
_static/wheels/ of the site. Every page's download menu (the theme's ⬇ button, beside ".ipynb")
gets a link to it, and the role {course-wheel}`text` links to it from the text
(book/how_to_use.md gives the steps).
"""
import posixpath
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from docutils import nodes
from sphinx.errors import ExtensionError

WHEELS = "_static/wheels"


PACKAGE_SOURCES = ["pyproject.toml", "README.md", "backprop_lib", "backprop_grader", "exercises"]


def build_wheel(app):
    """Build the wheel once per build and copy it into the site's _static/wheels/.

    It is built from a clean copy of the package's sources: setuptools' build/ folder in the
    repository could otherwise carry a deleted module into the wheel.
    """
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "source"
        for name in PACKAGE_SOURCES:
            path = Path(app.srcdir) / name
            if path.is_dir():
                shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                source.mkdir(exist_ok=True)
                shutil.copy2(path, source / name)
        command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", scratch,
                   str(source)]
        result = subprocess.run(command, capture_output=True, text=True)
        wheels = list(Path(scratch).glob("*.whl"))
        if result.returncode != 0 or len(wheels) != 1:
            raise ExtensionError(f"expected `pip wheel` to build one wheel of the course; found exit code "
                                 f"{result.returncode} and {len(wheels)} wheels:\n{result.stderr[-2000:]}")
        target = Path(app.outdir) / WHEELS
        shutil.rmtree(target, ignore_errors=True)  # never an old version beside the new one
        target.mkdir(parents=True)
        shutil.copy2(wheels[0], target / wheels[0].name)
        app.course_wheel_name = wheels[0].name  # on the app, not the config: no reason to re-read pages


def wheel_url(app, docname):
    """The wheel's address relative to the page `docname`."""
    return posixpath.relpath(f"{WHEELS}/{app.course_wheel_name}", posixpath.dirname(docname) or ".")


# The menu entry in each edition's language (How to use names it: keep them the same).
MENU_TEXT = {"en": ("course package (.whl)",
                    "The course's Python package: pip install it to run the notebooks (see How to use)"),
             "ko": ("강좌 패키지 (.whl)", "강좌의 파이썬 패키지: pip로 설치하면 노트북을 실행할 수 있습니다(사용법 참고)")}


def add_download_link(app, pagename, templatename, context, doctree):
    """Add the wheel to the page's download menu (built by sphinx-book-theme at priority 501)."""
    text, tooltip = MENU_TEXT.get(app.config.language or "en", MENU_TEXT["en"])
    for button in context.get("header_buttons", []):
        if button.get("label") == "download-buttons":
            button["buttons"].append({
                "type": "link",
                "url": wheel_url(app, pagename),
                "text": text,
                "tooltip": tooltip,
                "icon": "fas fa-box",
                "label": "download-wheel-button",
            })


def course_wheel_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """{course-wheel}`link text`: a link to the wheel from the current page."""
    env = inliner.document.settings.env
    return [nodes.reference(rawtext, text, refuri=wheel_url(env.app, env.docname), classes=["course-wheel"])], []


def setup(app):
    app.connect("builder-inited", build_wheel)
    app.connect("html-page-context", add_download_link, priority=502)
    app.add_role("course-wheel", course_wheel_role)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
