"""The Korean edition, from the same notebooks and pages as the English one.

    python scripts/korean.py build    # _build/html/ko: the notebooks translated and executed in Korean
    python scripts/korean.py update   # extract the English messages (text, and the code's comments and
                                      # strings), update locales/ko/LC_MESSAGES/*.po
    python scripts/korean.py check    # exit 1 listing every untranslated, fuzzy or stale message
    python scripts/korean.py lint     # the same for the catalogues as they are (fast: no extraction)
    python scripts/korean.py messages # the code's messages: update backprop.po (the library's) and
                                      # grader.po (the grader's own), compile their .mo

Translators edit the .po files (msgstr); `update` keeps them in step with the English text
(sphinx-intl marks changed messages fuzzy), and `check` fails while any message is missing.
A page's catalogue holds its text and, with the context "code", the comments and the strings a
learner reads in its code cells (backprop_lib/code_words.py); book/_ext/course_notebooks.py puts
both into the Korean notebooks, which the Korean build executes with the library in Korean.
"""
import argparse
import re
import shutil
import sys
from pathlib import Path

from backprop_grader.reports.files import write_atomically, write_if_changed

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
LOCALES = ROOT / "locales"
LANGUAGE = "ko"
CACHE = BUILD / f".jupyter_cache-{LANGUAGE}"  # the Korean execution's own cache (English: .jupyter_cache)

sys.path.insert(0, str(ROOT / "book" / "_ext"))
from course_notebooks import CODE, NOTEBOOK_FOLDERS, is_untranslatable, read_catalogue, translate_notebook  # noqa: E402


def sphinx_build(builder, outdir, doctrees, freshenv=False, **overrides):
    """jupyter-book's own build, with Sphinx settings it has no command-line option for."""
    from jupyter_book.sphinx import build_sphinx

    # each edition its own execution cache: its notebooks are its own, and run in its language
    cache = CACHE if overrides.get("language") == LANGUAGE else BUILD / ".jupyter_cache"
    overrides = {"external_toc_path": str(ROOT / "_toc.yml"), "latex_individualpages": False,
                 "nb_execution_cache_path": str(cache), **overrides}
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
    """The Korean site: every page read in Korean (book/_ext/course_notebooks.py translates the notebooks,
    Sphinx the other pages), the chapters executed in Korean, and the Korean notebooks to download."""
    compile_catalogues()
    site = BUILD / "html" / LANGUAGE
    # A changed catalogue can change any page's title, and every page's sidebar shows them all, but
    # Sphinx rewrites only the pages it re-reads: read them all again (10-20 s) when a catalogue changed.
    stamp, catalogues = BUILD / f".{LANGUAGE}-catalogues", catalogues_digest()
    fresh = not stamp.exists() or stamp.read_text() != catalogues
    sphinx_build("html", site, BUILD / f".doctrees-{LANGUAGE}", freshenv=fresh, language=LANGUAGE)
    stamp.write_text(catalogues)
    for own in (ROOT / "book" / "_static").glob("*.*"):  # Sphinx never overwrites its earlier copy
        shutil.copy2(own, site / "_static" / own.name)
    for notebook in sorted((site / "_sources").rglob("*.ipynb")):  # what the download button gives
        page = notebook.relative_to(site / "_sources")
        write_if_changed(notebook, downloadable(ROOT / page))


def korean_notebook(english):
    """(the Korean notebook of a chapter or exercise, messages of its page it could not place)."""
    import nbformat

    notebook = nbformat.read(english, as_version=4)
    po = LOCALES / LANGUAGE / "LC_MESSAGES" / english.relative_to(ROOT).with_suffix(".po")
    if not po.exists():
        return notebook, []
    return translate_notebook(notebook, read_catalogue(po), LANGUAGE)


def downloadable(english):
    """The Korean notebook as the Korean site gives it: with the outputs of its Korean execution
    (from the Korean build's cache; an exercise has none)."""
    import nbformat
    from jupyter_cache import get_cache

    notebook, _ = korean_notebook(english)
    if CACHE.exists():
        try:
            _, notebook = get_cache(str(CACHE)).merge_match_into_notebook(notebook)
        except KeyError:  # not executed (exercises): no outputs
            pass
    return nbformat.writes(notebook) + "\n"


def extract(outdir=BUILD / "gettext"):
    """The English messages as .pot files (one per page): the text (Sphinx's gettext builder) and the
    code cells' comments and strings (add_code_messages)."""
    # a code cell's output is not prose: without this, gettext takes a listing's text/latex as a message
    sphinx_build("gettext", outdir, BUILD / ".doctrees-gettext",
                 nb_mime_priority_overrides=[("gettext", "text/latex", None)])
    return add_code_messages(outdir)


def notebooks():
    """Every chapter and exercise notebook, the pages whose code cells have messages too."""
    return [path for folder in NOTEBOOK_FOLDERS for path in sorted((ROOT / folder).glob("[0-9][0-9]_*.ipynb"))]


def code_messages(notebook):
    """A babel Catalog of the comments and strings a learner reads in a notebook's code cells."""
    import nbformat
    from babel.messages.catalog import Catalog

    from backprop_lib import code_words

    catalogue = Catalog(project="backprop course", fuzzy=False)
    page = notebook.relative_to(ROOT)
    for index, cell in enumerate(nbformat.read(notebook, as_version=4).cells):
        if cell.cell_type != "code":
            continue
        for piece in code_words.pieces(cell.source):
            lines = (f"{len(piece.parts)} lines: one line each" if len(piece.parts) > 1 else "")
            what = ("a comment" if piece.kind == "comment" else "a string, as written between its quotes "
                    "(keep its {fields}, %-formats and escapes such as \\n)")
            catalogue.add(piece.text, locations=[(str(page), index + 1)], context=CODE,
                          auto_comments=[f"code cell {index + 1}: {what}" + (f"; {lines}" if lines else "")])
    return catalogue


def add_code_messages(pot_dir):
    """Each notebook page's .pot gets the messages of its code cells (context "code")."""
    import babel.messages.pofile as pofile

    for notebook in notebooks():
        pot = Path(pot_dir) / notebook.relative_to(ROOT).with_suffix(".pot")
        with pot.open("rb") as f:
            template = pofile.read_po(f)
        for message in code_messages(notebook):
            if message.id:
                template.add(message.id, locations=message.locations, context=CODE,
                             auto_comments=message.auto_comments)
        with pot.open("wb") as f:
            pofile.write_po(f, template, width=76)
    return pot_dir


def update():
    from sphinx_intl.commands import main as sphinx_intl

    pot_dir = extract()
    sphinx_intl(["update", "-p", str(pot_dir), "-l", LANGUAGE, "-d", str(LOCALES)], standalone_mode=False)
    copy_untranslatable()
    compile_catalogues()


def copy_untranslatable():
    """Display math and bare markup are the same in both languages: each is its own translation."""
    import babel.messages.pofile as pofile

    for po in sorted((LOCALES / LANGUAGE / "LC_MESSAGES").rglob("*.po")):
        with po.open("rb") as f:
            catalogue = pofile.read_po(f)
        changed = False
        for message in catalogue:
            if (message.id and message.context is None and is_untranslatable(message.id)
                    and (message.string != message.id or message.fuzzy)):
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


def lint(msgid, msgstr, context=None):
    """Sentences naming what a translation changed that it must keep."""
    if context == CODE:
        return lint_code_words(msgid, msgstr)
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


# The code's catalogues: the learner's library's and the grader's. A message the library makes is the
# library's, even when the grader makes it too (a check's label): the grader's `_` falls back to it.
LIBRARY_PO = ROOT / "backprop_lib" / "locale" / LANGUAGE / "LC_MESSAGES" / "backprop.po"
GRADER_PO = ROOT / "backprop_grader" / "locale" / LANGUAGE / "LC_MESSAGES" / "grader.po"


def package_messages(package):
    """The messages of one package's code: every `_("...")` and `N_("...")`, as a Babel catalogue."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    catalogue = Catalog(project=package, fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords={"_": None, "N_": None}):
        catalogue.add(message, locations=[(f"{package}/{filename}", lineno)], auto_comments=comments)
    return catalogue


def package_catalogues():
    """{catalogue: the English messages it holds}: backprop.po the library's (what the learner's code
    says, in the notebooks and in the grader's child), grader.po the grader's that the library lacks."""
    library, grader = package_messages("backprop_lib"), package_messages("backprop_grader")
    for message in list(grader):
        if message.id and message.id in library:
            grader.delete(message.id, message.context)
    return {LIBRARY_PO: library, GRADER_PO: grader}


def update_library():
    """backprop.po and grader.po in step with the code (new messages empty, changed ones fuzzy; a message
    that moves from one to the other keeps its translation), and their .mo; a file whose messages did
    not change is not written again (nor its POT-Creation-Date)."""
    from babel.messages.catalog import Catalog

    messages = package_catalogues()
    catalogues = {po: read_catalogue(po) if po.exists() else Catalog(locale=LANGUAGE, project=po.stem)
                  for po in messages}
    known = {(m.id, m.context): m.string for korean in catalogues.values() for m in korean
             if m.id and m.string and not m.fuzzy}
    for po, english in messages.items():
        korean, date = catalogues[po], catalogues[po].creation_date
        korean.update(english)
        for message in korean:
            if message.id and (not message.string or message.fuzzy) and (message.id, message.context) in known:
                message.string, message.previous_id = known[message.id, message.context], []
                message.flags.discard("fuzzy")
        korean.creation_date = date  # the same messages: the same file
        if not po.exists() or po.read_bytes() != po_bytes(korean):
            korean.creation_date = english.creation_date
            po.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(po, po_bytes(korean))
        compile_library(po)


def po_bytes(catalogue):
    import io

    import babel.messages.pofile as pofile

    data = io.BytesIO()
    pofile.write_po(data, catalogue, width=96, omit_header=False, ignore_obsolete=True)
    return data.getvalue()


def compile_library(po):
    """The .mo of a catalogue of the code (backprop.mo, grader.mo): the file Python's gettext reads at run time."""
    import io

    from babel.messages.mofile import write_mo

    compiled = io.BytesIO()
    write_mo(compiled, read_catalogue(po))
    write_if_changed(po.with_suffix(".mo"), compiled.getvalue())


def message_problems(po, catalogue, check=None):
    """Each message of a catalogue that is untranslated, fuzzy, or fails `check`."""
    found = []
    for message in catalogue:
        if not message.id:
            continue
        where = f"{po.relative_to(ROOT)}: {'code ' if message.context == CODE else ''}{str(message.id)[:60]!r}"
        if message.fuzzy:
            found.append(f"{where} is fuzzy (the English changed): check the translation, drop the flag")
        elif not message.string:
            found.append(f"{where} is not translated")
        elif check and message.context == CODE:
            found.extend(f"{where}: {problem}" for problem in lint_code_words(str(message.id), str(message.string)))
        elif check:
            found.extend(f"{where}: {problem}" for problem in check(str(message.id), str(message.string)))
    return found


def lint_code_words(msgid, msgstr):
    """A comment's or string's translation: as many lines, the same {fields} and %-formats, the numbers."""
    from backprop_lib.code_words import fields

    found = []
    english, korean = msgid.split("\n"), msgstr.split("\n")
    if "\n" in msgid and len(english) != len(korean):
        found.append(f"{len(korean)} line(s); the English has {len(english)}, one per comment line or string")
    elif len(english) == len(korean):
        for n, (e, k) in enumerate(zip(english, korean), start=1):
            if fields(e) != fields(k):
                found.append(f"line {n}: fields differ: English {fields(e)}, Korean {fields(k)}")
    numbers = [n for n in set(_NUMBER.findall(_FIELD.sub(" ", msgid))) if n not in _NUMBER.findall(_FIELD.sub(" ", msgstr))]
    found += [f"number {n} missing" for n in sorted(numbers)]
    return found


def code_problems():
    """Each code message whose translation breaks the code it goes into (a quote that ends the
    string, a field lost), and each notebook whose Korean code is not its English code."""
    import nbformat

    from backprop_lib import code_words

    found = []
    for english in notebooks():
        korean, unplaced = korean_notebook(english)
        page = english.relative_to(ROOT)
        found += [f"{page}: the catalogue's {m[:60]!r} is not in the notebook (run `python scripts/korean.py update`)"
                  for m in unplaced]
        for n, (before, after) in enumerate(zip(nbformat.read(english, as_version=4).cells, korean.cells), start=1):
            if before.cell_type == "code" and not code_words.same_code(before.source, after.source):
                found.append(f"{page}, code cell {n}: the Korean code differs from the English in more than "
                             f"its comments and strings (a translation with a quote or a field of its own?)")
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
    """The code's catalogues (backprop.po, grader.po): complete, in step with the code, and compiled."""
    from babel.messages.mofile import read_mo

    found = []
    for po, english in package_catalogues().items():
        where = po.relative_to(ROOT)
        if not po.exists():
            found.append(f"{where} is missing: run `python scripts/korean.py messages`")
            continue
        korean = read_catalogue(po)
        found += message_problems(po, korean, lint_code_message)
        missing = [m.id for m in english if m.id and m.id not in korean]
        if missing:
            found.append(f"{where}: {len(missing)} message(s) of the code have no entry, "
                         f"e.g. {str(missing[0])[:60]!r}: run `python scripts/korean.py messages`")
        extra = [m.id for m in korean if m.id and m.id not in english]
        if extra:
            found.append(f"{where}: {len(extra)} message(s) are not this catalogue's (none of its code makes them, "
                         f"or the library's catalogue has them), e.g. {str(extra[0])[:60]!r}: "
                         "run `python scripts/korean.py messages`")
        mo = po.with_suffix(".mo")
        compiled = {}
        if mo.exists():
            with mo.open("rb") as f:
                compiled = {m.id: m.string for m in read_mo(f) if m.id}
        if compiled != {m.id: m.string for m in korean if m.id and not m.fuzzy and m.string}:
            found.append(f"{mo.relative_to(ROOT)} is not compiled from {po.name}: run `python scripts/korean.py messages`")
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
            missing = [m.id for m in english if m.id and (korean is None or korean.get(m.id, m.context) is None)]
            if missing:
                found.append(f"{po.relative_to(ROOT)}: {len(missing)} English message(s) have no entry, "
                             f"e.g. {str(missing[0])[:60]!r}: run `python scripts/korean.py update`")
    return found + code_problems() + library_problems()


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
