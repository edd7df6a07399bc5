"""The Korean edition, from the same notebooks and pages as the English one.

    python scripts/korean.py build    # _build/html/ko, reusing the English build's execution cache
    python scripts/korean.py update   # extract the English messages, update locales/ko/LC_MESSAGES/*.po
    python scripts/korean.py check    # exit 1 listing every untranslated, fuzzy or stale message
    python scripts/korean.py lint     # the same for the catalogues as they are (fast: no extraction)
    python scripts/korean.py messages # the library's and grader's messages: update backprop.po, compile .mo

Translators edit the .po files (msgstr); `update` keeps them in step with the English text
(sphinx-intl marks changed messages fuzzy), and `check` fails while any message is missing.
"""
import argparse
import re
import shutil
import sys
from pathlib import Path

from backprop_grader.files import write_atomically, write_if_changed

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
LOCALES = ROOT / "locales"
LANGUAGE = "ko"


def sphinx_build(builder, outdir, doctrees, freshenv=False, **overrides):
    """jupyter-book's own build, with Sphinx settings it has no command-line option for."""
    from jupyter_book.sphinx import build_sphinx

    overrides = {"external_toc_path": str(ROOT / "_toc.yml"), "latex_individualpages": False,
                 # the English build's cache: every notebook has run once already
                 "nb_execution_cache_path": str(BUILD / ".jupyter_cache"), **overrides}
    result = build_sphinx(ROOT, outdir, noconfig=True, path_config=str(ROOT / "_config.yml"),
                          confoverrides=overrides, builder=builder, doctreedir=str(doctrees),
                          warningiserror=True, keep_going=True, quiet=True, freshenv=freshenv)
    if result:
        sys.exit(f"the {builder} build of the Korean edition failed (status {result})")


def catalogues_digest():
    """A digest of every page's catalogue: it changes exactly when a translation does."""
    import hashlib

    digest = hashlib.sha256()
    for po in sorted((LOCALES / LANGUAGE / "LC_MESSAGES").rglob("*.po")):
        digest.update(str(po.relative_to(LOCALES)).encode() + b"\0" + po.read_bytes())
    return digest.hexdigest()


def compile_catalogues():
    """Each page's .mo from its .po, rewritten only when it differs. Sphinx compiles a .mo only when
    its .po is newer, so a .mo that git or a merge left behind would otherwise stay stale."""
    import io

    from babel.messages.mofile import write_mo

    for po in sorted((LOCALES / LANGUAGE / "LC_MESSAGES").rglob("*.po")):
        compiled = io.BytesIO()
        write_mo(compiled, read_catalogue(po))
        write_if_changed(po.with_suffix(".mo"), compiled.getvalue())


def build():
    compile_catalogues()
    site = BUILD / "html" / LANGUAGE
    # A changed catalogue can change any page's title, and every page's sidebar shows them all, but
    # Sphinx rewrites only the pages it re-reads: read them all again (10-20 s) when a catalogue changed.
    stamp, catalogues = BUILD / f".{LANGUAGE}-catalogues", catalogues_digest()
    fresh = not stamp.exists() or stamp.read_text() != catalogues
    # (MyST-NB's toggles of hidden cells are labelled in Korean by book/_ext/course_i18n.py)
    sphinx_build("html", site, BUILD / f".doctrees-{LANGUAGE}", freshenv=fresh, language=LANGUAGE)
    stamp.write_text(catalogues)
    for own in (ROOT / "book" / "_static").glob("*.*"):  # Sphinx never overwrites its earlier copy
        shutil.copy2(own, site / "_static" / own.name)
    for notebook in sorted((site / "_sources").rglob("*.ipynb")):  # what the download button gives
        translate_notebook(notebook, notebook)


# A message stands on its own line(s) of Markdown, after a heading, list, quote or table-cell marker.
_BEFORE = r"(?:^[ \t]*(?:#+|[-*+>]|\d+[.)]|[`:]{3,}\{[\w-]+\})?[ \t]*|(?<=\|)[ \t]*)"
_AFTER = r"(?=[ \t]*(?:\||$))"
_SPACE = r"(?:[ \t]+|[ \t]*\n[ \t]*(?:>[ \t]*)?)"  # a quote's lines start with >


def translate_markdown(source, catalogue):
    """(Korean source, messages not found): each message replaced where it stands in the Markdown."""
    missing = []
    for english in sorted((m.id for m in catalogue if m.id and m.string), key=len, reverse=True):
        words = _SPACE.join(re.escape(word) for word in english.split())  # the source may wrap lines
        pattern = re.compile("(" + _BEFORE + ")" + words + _AFTER, re.M)
        korean = catalogue[english].string
        source, found = pattern.subn(lambda match: match.group(1) + korean, source)
        if not found:
            missing.append(english)
    return source, missing


def translate_notebook(source, target):
    """The notebook with its Markdown cells in Korean and metadata.backprop.language = "ko"; code,
    outputs and every other cell unchanged. Returns the messages of the page it could not place."""
    import nbformat

    notebook = nbformat.read(source, as_version=4)
    page = source.relative_to(source.parents[1]).with_suffix("") if source.parent.name in (
        "chapters", "exercises") else None
    po = LOCALES / LANGUAGE / "LC_MESSAGES" / f"{page}.po" if page else None
    if po is None or not po.exists():
        return []
    catalogue = read_catalogue(po)
    placed = set()
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source, missing = translate_markdown(cell.source, catalogue)
            placed |= {m.id for m in catalogue if m.id and m.string} - set(missing)
    notebook.metadata.setdefault("backprop", {})["language"] = LANGUAGE
    write_atomically(target, nbformat.writes(notebook) + "\n")
    return sorted({m.id for m in catalogue if m.id and m.string and not is_untranslatable(m.id)} - placed)


def extract(outdir=BUILD / "gettext"):
    """The English messages as .pot files (one per page)."""
    # a code cell's output is not prose: without this, gettext takes a listing's text/latex as a message
    sphinx_build("gettext", outdir, BUILD / ".doctrees-gettext",
                 nb_mime_priority_overrides=[("gettext", "text/latex", None)])
    return outdir


def update():
    from sphinx_intl.commands import main as sphinx_intl

    pot_dir = extract()
    sphinx_intl(["update", "-p", str(pot_dir), "-l", LANGUAGE, "-d", str(LOCALES)], standalone_mode=False)
    copy_untranslatable()


def is_display_math(text):
    """A $$...$$ or amsmath block's message: MyST gives it with a newline at each end."""
    return text.startswith("\n") and text.endswith("\n")


def is_untranslatable(text):
    """Display math, or HTML with no words a reader sees (`</details>`, a comment)."""
    return is_display_math(text) or not re.search(r"[^\W\d_]", _TAG.sub(" ", _COMMENT.sub(" ", text)))


def copy_untranslatable():
    """Display math and bare markup are the same in both languages: each is its own translation."""
    import babel.messages.pofile as pofile

    for po in sorted((LOCALES / LANGUAGE / "LC_MESSAGES").rglob("*.po")):
        with po.open("rb") as f:
            catalogue = pofile.read_po(f)
        changed = False
        for message in catalogue:
            if message.id and is_untranslatable(message.id) and (message.string != message.id or message.fuzzy):
                message.string, message.flags = message.id, message.flags - {"fuzzy"}
                changed = True
        if changed:
            with po.open("wb") as f:
                pofile.write_po(f, catalogue, width=76)


# What a translation must keep exactly as the English has it (MyST Markdown).
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+\$", re.S)
_ROLE = re.compile(r"(?<![\w`])\{([\w:-]+)\}`([^`]*)`")
_CODE = re.compile(r"(?<![}`])`([^`]+)`")
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?")
_TEXT_ROLES = {"term", "ref", "doc", "numref", "download"}  # their text is translated, their target kept


def role_key(name, content):
    """A role as a translation must keep it: {term}`연쇄법칙 <chain rule>` keeps `chain rule`."""
    if name in _TEXT_ROLES:
        target = re.search(r"<([^<>]+)>\s*$", content)
        return name, (target.group(1) if target else content).strip()
    return name, content


def kept(text):
    """The parts of a message that are not prose: math, code, roles' targets, links, tags, numbers."""
    roles = sorted(role_key(*m) for m in _ROLE.findall(text))
    rest = _ROLE.sub(" ", text)
    math = sorted(_MATH.findall(rest))
    rest = _MATH.sub(" ", rest)
    code = sorted(_CODE.findall(rest))
    rest = _CODE.sub(" ", rest)
    return {"math": math, "roles": roles, "code": code, "links": sorted(_LINK.findall(rest)),
            "HTML tags": sorted(t.split()[0].rstrip(">") for t in _TAG.findall(rest)),
            "numbers": sorted(set(_NUMBER.findall(_LINK.sub(" ", rest))))}


def lint(msgid, msgstr):
    """Sentences naming what a translation changed that it must keep."""
    if is_untranslatable(msgid):
        return [] if msgstr == msgid else ["display math or bare markup must be copied unchanged"]
    english, korean = kept(msgid), kept(msgstr)
    found = []
    for kind, parts in english.items():
        if kind == "numbers":
            lost = [n for n in parts if n not in korean[kind]]
            if lost:
                found.append(f"numbers missing: {', '.join(lost)}")
        elif parts != korean[kind]:
            found.append(f"{kind} differ: English {parts}, Korean {korean[kind]}")
    return found


LIBRARY_PO = ROOT / "backprop_lib" / "locale" / LANGUAGE / "LC_MESSAGES" / "backprop.po"


def library_messages():
    """The learner-facing messages of backprop_lib and backprop_grader: every `_("...")` and `N_("...")`."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    catalogue = Catalog(project="backprop", fuzzy=False)
    for package in ("backprop_lib", "backprop_grader"):
        for filename, lineno, message, comments, context in extract_from_dir(
                ROOT / package, method_map=[("**.py", "python")], keywords={"_": None, "N_": None}):
            catalogue.add(message, locations=[(f"{package}/{filename}", lineno)], auto_comments=comments)
    return catalogue


def update_library():
    """backprop.po in step with the code (new messages empty, changed ones fuzzy), and backprop.mo."""
    import babel.messages.pofile as pofile

    korean = read_catalogue(LIBRARY_PO) if LIBRARY_PO.exists() else None
    if korean is None:
        from babel.messages.catalog import Catalog
        korean = Catalog(locale=LANGUAGE, project="backprop")
    korean.update(library_messages())
    LIBRARY_PO.parent.mkdir(parents=True, exist_ok=True)
    with LIBRARY_PO.open("wb") as f:
        pofile.write_po(f, korean, width=96, omit_header=False, ignore_obsolete=True)
    compile_library()


def compile_library():
    """backprop.mo from backprop.po: the file Python's gettext reads at run time."""
    from babel.messages.mofile import write_mo

    with LIBRARY_PO.with_suffix(".mo").open("wb") as f:
        write_mo(f, read_catalogue(LIBRARY_PO))


def read_catalogue(po):
    import babel.messages.pofile as pofile

    with po.open("rb") as f:
        return pofile.read_po(f, abort_invalid=True)


def message_problems(po, catalogue, check=None):
    """Each message of a catalogue that is untranslated, fuzzy, or fails `check`."""
    found = []
    for message in catalogue:
        if not message.id:
            continue
        where = f"{po.relative_to(ROOT)}: {str(message.id)[:60]!r}"
        if message.fuzzy:
            found.append(f"{where} is fuzzy (the English changed): check the translation, drop the flag")
        elif not message.string:
            found.append(f"{where} is not translated")
        elif check:
            found.extend(f"{where}: {problem}" for problem in check(str(message.id), str(message.string)))
    return found


_FIELD = re.compile(r"\{[^{}]*\}|%[sdr]")


def lint_code_message(msgid, msgstr):
    """A message of the code keeps its format fields ({name}, {value:.3g}) and its numbers."""
    if sorted(_FIELD.findall(msgid)) != sorted(_FIELD.findall(msgstr)):
        return [f"format fields differ: English {sorted(_FIELD.findall(msgid))}, "
                f"Korean {sorted(_FIELD.findall(msgstr))}"]
    return [f"number {n} missing" for n in set(_NUMBER.findall(_FIELD.sub(" ", msgid)))
            if n not in _NUMBER.findall(_FIELD.sub(" ", msgstr))]


def library_problems():
    """The code's catalogue: complete, in step with the code, and compiled."""
    from babel.messages.mofile import read_mo

    if not LIBRARY_PO.exists():
        return [f"{LIBRARY_PO.relative_to(ROOT)} is missing: run `python scripts/korean.py messages`"]
    korean = read_catalogue(LIBRARY_PO)
    found = message_problems(LIBRARY_PO, korean, lint_code_message)
    missing = [m.id for m in library_messages() if m.id and m.id not in korean]
    if missing:
        found.append(f"{LIBRARY_PO.relative_to(ROOT)}: {len(missing)} message(s) of the code have no entry, "
                     f"e.g. {str(missing[0])[:60]!r}: run `python scripts/korean.py messages`")
    mo = LIBRARY_PO.with_suffix(".mo")
    compiled = {}
    if mo.exists():
        with mo.open("rb") as f:
            compiled = {m.id: m.string for m in read_mo(f) if m.id}
    if compiled != {m.id: m.string for m in korean if m.id and not m.fuzzy and m.string}:
        found.append(f"{mo.relative_to(ROOT)} is not compiled from {LIBRARY_PO.name}: "
                     "run `python scripts/korean.py messages`")
    return found


def problems(pot_dir=None):
    """Sentences naming each message that the Korean edition lacks."""
    import babel.messages.pofile as pofile

    found = []
    catalogues = {}
    for po in sorted((LOCALES / LANGUAGE / "LC_MESSAGES").rglob("*.po")):
        catalogues[po] = read_catalogue(po)
        found.extend(message_problems(po, catalogues[po], lint))
    if pot_dir is not None:  # every English message has a Korean one
        for pot in sorted(Path(pot_dir).rglob("*.pot")):
            po = LOCALES / LANGUAGE / "LC_MESSAGES" / pot.relative_to(pot_dir).with_suffix(".po")
            with pot.open("rb") as f:
                english = pofile.read_po(f)
            korean = catalogues.get(po)
            missing = [m.id for m in english if m.id and (korean is None or m.id not in korean)]
            if missing:
                found.append(f"{po.relative_to(ROOT)}: {len(missing)} English message(s) have no entry, "
                             f"e.g. {str(missing[0])[:60]!r}: run `python scripts/korean.py update`")
    return found + library_problems()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["build", "update", "check", "lint", "messages"])
    args = parser.parse_args(argv)
    if args.command == "build":
        build()
    elif args.command == "update":
        update()
    elif args.command == "messages":
        update_library()
    else:  # lint: the catalogues as they are, without extracting the English again
        found = problems(extract() if args.command == "check" else None)
        print("\n".join(found) or "the Korean catalogues are complete")
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
