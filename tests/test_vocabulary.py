"""One vocabulary for the Korean edition: the table of locales/README.md (English term, Korean term,
wrong variants) is the single source, and every catalogue follows it: each page's
(locales/ko/LC_MESSAGES/**/*.po) and the code's (backprop_lib/locale/ko/LC_MESSAGES/backprop.po, the grader's own grader.po).
A chapter or section title that a message cites is that heading's Korean text, word for word, and
the grader calls an exercise by its page's title.
"""
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import babel.messages.pofile as pofile
import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "locales" / "README.md"
PAGES = REPO / "locales" / "ko" / "LC_MESSAGES"
CODE = [REPO / "backprop_lib" / "locale" / "ko" / "LC_MESSAGES" / "backprop.po",
        REPO / "backprop_grader" / "locale" / "ko" / "LC_MESSAGES" / "grader.po"]
CATALOGUES = sorted(PAGES.rglob("*.po")) + CODE
SOURCES = (sorted((REPO / "chapters").glob("[0-9][0-9]_*.ipynb")) + sorted((REPO / "exercises").glob("[0-9][0-9]_*.ipynb"))
           + sorted((REPO / "book").glob("*.md")))


@dataclass(frozen=True)
class Term:
    english: str
    korean: str
    wrong: tuple

    def in_english(self, text):
        # the start of a word, any case, a space or hyphen where the term has one
        words = r"[\s-]+".join(re.escape(w) for w in re.split(r"[\s-]+", self.english))
        return re.search(r"(?<![\w-])" + words, text, re.I) is not None


def read_vocabulary(readme=README):
    """The rows of the table under '## Vocabulary' in locales/README.md."""
    text = readme.read_text(encoding="utf-8")
    section = text.split("\n## Vocabulary\n", 1)
    if len(section) != 2:
        raise ValueError(f"{readme}: expected a section '## Vocabulary' with the term table, found none")
    terms = []
    for line in section[1].splitlines():
        if not line.startswith("|") or set(line) <= set("|- "):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4:
            raise ValueError(f"{readme}: a row of the term table has {len(cells)} cells, expected 4: {line!r}")
        english, korean, wrong, _notes = cells
        if english == "English":  # the header
            continue
        terms.append(Term(english, korean, tuple(w.strip() for w in wrong.split(",") if w.strip())))
    return terms


VOCABULARY = read_vocabulary()


def messages(po):
    """(English, Korean) of every translated message of a catalogue (plural forms joined)."""
    with po.open("rb") as f:
        catalogue = pofile.read_po(f, abort_invalid=True)
    for message in catalogue:
        if not message.id:
            continue
        english = " ".join(message.id) if isinstance(message.id, tuple) else message.id
        korean = " ".join(message.string) if isinstance(message.string, tuple) else message.string
        if korean:
            yield english, korean


def spans(text, word):
    return [(m.start(), m.end()) for m in re.finditer(re.escape(word), text)]


def wrong_uses(english, korean, vocabulary=VOCABULARY):
    """[(wrong variant, term it is wrong for, whether the English names that term)] in one message.
    A variant inside a Korean term that is right in this message does not count: a Korean term is
    right everywhere, unless it is some term's wrong variant; then only where its English is."""
    wrong_somewhere = {w for t in vocabulary for w in t.wrong}
    right = {t.korean for t in vocabulary if t.korean not in wrong_somewhere or t.in_english(english)}
    covered = [s for word in right for s in spans(korean, word)]
    hits = {}  # one report per place: the term the English names first, the longest variant (역방향 훑기, not 훑기)
    for term in vocabulary:
        for variant in term.wrong:
            for start, end in spans(korean, variant):
                if not any(a <= start and end <= b for a, b in covered):
                    named = term.in_english(english)
                    if (start, end) not in hits or named and not hits[start, end][1]:
                        hits[start, end] = (term, named)
    return [(korean[start:end], term, named, korean[max(0, start - 25):end + 25])
            for (start, end), (term, named) in sorted(hits.items())
            if not any(a <= start and end <= b and (a, b) != (start, end) for a, b in hits)]


def name(po):
    return str(po.relative_to(REPO)) if po.is_relative_to(REPO) else str(po)


def term_problems(po):
    """A message whose English contains a term of the table and whose Korean uses a wrong variant of it."""
    return [f"{name(po)}: msgid {english[:70]!r}: its English says {term.english!r}, so write "
            f"{term.korean!r}, not {variant!r} (…{around}…)"
            for english, korean in messages(po) for variant, term, named, around in wrong_uses(english, korean) if named]


def variant_problems(po):
    """Any other message that uses a wrong variant."""
    return [f"{name(po)}: msgid {english[:70]!r}: {variant!r} is the wrong variant of {term.english!r}: "
            f"write {term.korean!r} or reword (…{around}…)"
            for english, korean in messages(po) for variant, term, named, around in wrong_uses(english, korean)
            if not named and not any(t.in_english(english) for t in VOCABULARY if variant in t.wrong)]


@pytest.mark.parametrize("po", CATALOGUES, ids=name)
def test_each_english_term_is_rendered_by_its_korean_term(po):
    """A message whose English contains a term of the table uses none of the term's wrong variants."""
    found = term_problems(po)
    assert not found, f"{len(found)} wrong term(s):\n" + "\n".join(found)


@pytest.mark.parametrize("po", CATALOGUES, ids=name)
def test_no_korean_text_uses_a_wrong_variant(po):
    """Nor does any other message: a wrong variant is wrong wherever it stands."""
    found = variant_problems(po)
    assert not found, f"{len(found)} wrong variant(s):\n" + "\n".join(found)


def test_the_table_is_one_vocabulary():
    """Each English term once; no term's Korean is its own wrong variant; every wrong variant differs
    from every Korean term that is not explicitly tied to another English term."""
    english = [t.english.lower() for t in VOCABULARY]
    assert len(english) == len(set(english)), sorted({e for e in english if english.count(e) > 1})
    assert len(VOCABULARY) >= 40
    for term in VOCABULARY:
        assert term.korean and term.korean not in term.wrong, term


@pytest.mark.parametrize("english, korean, problem", [
    ("Submit your exercise.", "연습 문제를 제출하세요.", ("연습 문제", "exercise", True)),
    ("Submit it.", "연습 문제를 제출하세요.", ("연습 문제", "exercise", False)),
    ("Submit your exercise.", "연습문제를 제출하세요.", None),
    ("the notes of the course", "이 강좌의 강의 노트", None),
    ("the course", "이 강의", ("강의", "course", True)),
    ("call them in reverse topological order", "위상 정렬의 역순으로", ("위상 정렬", "topological order", True)),
    ("a topological sort gives a topological order", "위상 정렬로 위상 순서를 얻습니다", None),
    ("the numerical gradient", "수치 미분 기울기", ("수치 미분 기울기", "numerical gradient", True)),
    ("No machine learning is needed", "기계학습 지식은 필요 없습니다", None),
    ("on your machine", "여러분의 기계에서", ("기계", "machine", True)),
])
def test_a_wrong_variant_is_found_and_a_right_term_is_not(english, korean, problem):
    found = [(variant, term.english, named) for variant, term, named, _ in wrong_uses(english, korean)]
    assert (found == []) if problem is None else (problem in found), found


def test_a_planted_wrong_variant_is_reported_with_its_file_message_and_term(tmp_path):
    """The checks the tests above run, on a catalogue with wrong variants planted in it."""
    po = tmp_path / "planted.po"
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                  'msgid "Exercise 7: Softmax with cross-entropy loss"\n'
                  'msgstr "연습문제 7: 소프트맥스와 교차 엔트로피 손실"\n\n'
                  'msgid "Run it."\nmsgstr "이 머신에서 실행하세요."\n', encoding="utf-8")
    terms, variants = term_problems(po), variant_problems(po)
    assert len(terms) == 1 and all(w in terms[0] for w in ("planted.po", "Exercise 7", "교차 엔트로피 오차", "교차 엔트로피 손실"))
    assert len(variants) == 1 and all(w in variants[0] for w in ("planted.po", "Run it.", "머신", "컴퓨터"))


# --- titles ------------------------------------------------------------------------------------

def _plain(text):
    """A title as it reads: no emphasis or code marks, one space between words, any case."""
    return re.sub(r"\s+", " ", text.replace("*", "").replace("`", "")).strip().casefold()


def headings():
    """{plain English heading: {its Korean heading (the msgstr of its page's catalogue)}} of every page."""
    found = {}
    for source in SOURCES:
        po = PAGES / source.relative_to(REPO).with_suffix(".po")
        korean = {e: k for e, k in messages(po)} if po.exists() else {}
        if source.suffix == ".ipynb":
            texts = [c.source for c in nbformat.read(source, as_version=4).cells if c.cell_type == "markdown"]
        else:
            texts = [source.read_text(encoding="utf-8")]
        for text in texts:
            fenced = False
            for line in text.splitlines():
                fenced ^= line.startswith("```")
                heading = None if fenced else re.match(r"#{1,6}\s+(.+?)\s*$", line)
                if heading and heading.group(1) in korean:
                    english, translation = heading.group(1), korean[heading.group(1)]
                    found.setdefault(_plain(english), set()).add(translation)
                    if ": " in english and ":" in translation:  # cited by its part before the colon
                        found.setdefault(_plain(english.split(": ")[0]), set()).add(translation.split(":")[0])
    return found


HEADINGS = headings()


def cited(english):
    """The headings an English message cites: an emphasised span (*Title*) or a link's text that is a
    heading of some page."""
    candidates = re.findall(r"(?<![*\w])\*(?!\*)([^*\n]+?)\*(?![*\w])", english)
    candidates += re.findall(r"\[([^\]\n]+)\]\(", english)
    return [c for c in candidates if _plain(c) in HEADINGS]


def test_titles_are_found():
    """The heading map holds every page's headings and finds the citations (so the test below checks
    something): chapter 5's in-place section, cited by the code's catalogue."""
    assert len(HEADINGS) > 150
    assert "제자리(in-place) 역전파가 버그인 이유" in HEADINGS[_plain("Why an in-place backward is a bug")]
    assert cited("Build a new array (chapter 5, *Why an in-place backward is a bug*).")
    assert not cited("the *same* array")


@pytest.mark.parametrize("po", CATALOGUES, ids=name)
def test_a_cited_title_is_the_heading_as_built(po):
    """Every chapter or section title a message cites is that heading's Korean text, word for word."""
    found = []
    for english, korean in messages(po):
        for title in cited(english):
            options = HEADINGS[_plain(title)]
            if not any(_plain(k) in _plain(korean) for k in options):
                found.append(f"{name(po)}: msgid {english[:70]!r} cites {title!r}: its Korean must cite the heading "
                             f"{' or '.join(repr(k) for k in sorted(options))}")
    assert not found, f"{len(found)} cited title(s) differ from the heading:\n" + "\n".join(found)


def test_the_grader_calls_an_exercise_by_its_page_title():
    """Where the grader's English title of an exercise is its page's title, so is the Korean one."""
    sys.path.insert(0, str(REPO))
    from backprop_grader.exercises import EXERCISES

    code = {english: korean for po in CODE for english, korean in messages(po)}
    found, compared = [], 0
    for number, exercise in sorted(EXERCISES.items()):
        page = next((REPO / "exercises").glob(f"{number}_*.ipynb"))
        page_korean = dict(messages(PAGES / "exercises" / f"{page.stem}.po"))
        english = f"Exercise {int(number)}: {exercise.title}"
        if english not in page_korean:
            continue  # the English titles differ: nothing to compare in Korean
        compared += 1
        heading = re.sub(r"^연습문제 \d+: ", "", page_korean[english])
        if code.get(exercise.title) != heading:
            found.append(f"{name(CODE[-1])}: msgid {exercise.title!r}: write the page's title {heading!r}, "
                         f"not {code.get(exercise.title)!r}")
    assert compared >= 15
    assert not found, "\n".join(found)
