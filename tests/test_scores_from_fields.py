"""Credit never depends on display text: with every label renamed, every submission earns the same.

The renaming is a cipher: each piece of literal text of a test's name, a check's label, a case's label
and every message the grader's modules make (their `_` and `N_`) becomes an opaque code word such as
"QZ17ZQ" ("{cls}.backward [{case}]" becomes "{cls}QZ3ZQ{case}QZ4ZQ"). Nothing the judge could read
in a label survives it ("large" in label, label.startswith(...), name.split(" [")), and decoding the
code words gives the original text back exactly. Each submission is graded twice, once as it is and
once with the cipher, its code run once in the sandbox and its results replayed to the second grading
(which must send the child the very same inputs): scores, messages and hints must be the same once
decoded. The reference solution of every exercise, typical wrong answers, and wrong results derived
from each reference's (one test's arrays wrong, one array wrong everywhere, one array wrong only in
the test the others require, nothing computed, the run stopped halfway) are judged both ways, and in
Korean, whose labels are other words again: the same scores.
"""
from __future__ import annotations

import json
import re
import string
import sys
import textwrap
from contextlib import contextmanager
from pathlib import Path

import pytest

from backprop_grader.isolation import frames as protocol
from backprop_grader import grader
from backprop_grader.exercises import spec
from backprop_grader.judging import judge, verdicts
from backprop_grader import language

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
SECRET = "renamed-labels"
CODE = re.compile(r"QZ(\d+)ZQ")


class Cipher:
    """Literal text -> code words, and back."""

    def __init__(self):
        self.words = {}  # text -> code word
        self.texts = []  # code number -> text

    def word(self, text):
        if text not in self.words:
            self.words[text] = f"QZ{len(self.texts)}ZQ"
            self.texts.append(text)
        return self.words[text]

    def template(self, text):
        """Every literal piece of a str.format template coded, its {fields} kept."""
        if not text:
            return text
        pieces = []
        for literal, field, spec, conversion in string.Formatter().parse(text):
            pieces.append(self.word(literal) if literal else "")
            if field is not None:
                pieces.append("{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
                              + "}")
        return "".join(pieces)

    def label(self, text):
        """A whole label as one code word (itself if it is one already: a check copied with its label)."""
        text = str(text)
        return text if CODE.fullmatch(text) else self.word(text)

    def decode(self, text):
        text = str(text)
        while CODE.search(text):
            text = CODE.sub(lambda m: self.texts[int(m.group(1))], text)
        return text


@contextmanager
def renamed(monkeypatch, cipher):
    """Every label, name and message of the grader coded while inside (its tests built anew)."""
    check_init, test_init = verdicts.Check.__init__, spec.Test.__init__
    translate = language._

    def coded_message(message, lang=None):
        return cipher.template(translate(message, lang)) if message else message
    with monkeypatch.context() as patch:
        patch.setattr(verdicts.Check, "__init__", lambda self, label, *args, **kwargs: check_init(
            self, cipher.label(label), *args, **kwargs))
        patch.setattr(spec.Test, "__init__", lambda self, name, *args, **kwargs: test_init(
            self, cipher.label(name), *args, **kwargs))
        for name, module in list(sys.modules.items()):
            if name.startswith("backprop_grader") and module is not None:
                if getattr(module, "N_", None) is language.N_:
                    patch.setattr(module, "N_", cipher.template)
                if getattr(module, "_", None) is language._:
                    patch.setattr(module, "_", coded_message)
        grader.hidden_tests.cache_clear()
        try:
            yield
        finally:
            grader.hidden_tests.cache_clear()
    grader.hidden_tests.cache_clear()


def summary(results, decode=str):
    """What a grading said, test by test, as plain data (decoded)."""
    return [(decode(r.name), r.score, r.max_score, decode(r.error),
             [(decode(c.label), None if c.message is None else decode(c.message), c.weight) for c in r.checks])
            for r in results]


@pytest.fixture(scope="module")
def cipher():
    return Cipher()


def _without_names(plan):
    plan = json.loads(plan)
    return {**plan, "tests": [test["steps"] for test in plan["tests"]]}


def grade_both_ways(path, monkeypatch, cipher, must_grade=True):
    """(report, report with every label renamed, what the child sent, or None if it never ran): its code run
    once. must_grade=False: a submission that cannot be graded is returned too (both reports say why)."""
    runs = []

    def recording(command, files, limits):
        runs.append((files, grader_run(command, files, limits)))
        return runs[-1][1]
    grader_run = grader.run_isolated
    with monkeypatch.context() as patch:
        patch.setattr(grader, "run_isolated", recording)
        plain = grader.grade(path, secret=SECRET, language="en")
    graded = plain.status == "graded"
    assert len(runs) == graded and (graded or not must_grade), plain.notes

    def replaying(command, files, limits):
        sent, outcome = runs[0]
        # the same inputs and the same instructions: only the tests' names may differ
        assert files["inputs.npz"] == sent["inputs.npz"]
        assert _without_names(files["plan.json"]) == _without_names(sent["plan.json"])
        assert files.keys() == sent.keys()
        return outcome
    with renamed(monkeypatch, cipher), monkeypatch.context() as patch:
        patch.setattr(grader, "run_isolated", replaying)
        coded = grader.grade(path, secret=SECRET, language="en")
    return plain, coded, runs[0][1] if runs else None


def assert_same(plain, coded, cipher):
    assert summary(plain) == summary(coded, cipher.decode)
    # and the cipher did rename: no label of the coded grading is readable
    assert all(CODE.fullmatch(r.name) for r in coded)
    assert all(CODE.fullmatch(c.label) for r in coded for c in r.checks)


# --- wrong results derived from a reference's -----------------------------------------------

def _wrong(arrays, names=None):
    """The test's arrays with the float ones (or those in `names`) made wrong (times 2, plus 1)."""
    return {k: (v * 2 + 1 if v.dtype.kind == "f" and not k.startswith("__") and (names is None or k in names) else v)
            for k, v in arrays.items()}


def variants(tests, received):
    """(what it is, frames): wrong results that take each path of the judge."""
    base = received.tests
    found = sorted({k for arrays in base.values() for k, v in arrays.items() if v.dtype.kind == "f"
                    and not k.startswith("__")})
    required = sorted({i for i, t in enumerate(tests) for u in tests if u.requires is t})

    def frames(tests_sent, done=True):
        return protocol.Frames(load=received.load, refused=received.refused, names=received.names,
                               tests=tests_sent, done=done)
    yield "as returned", received
    for i in base:
        yield f"test {i} wrong", frames({**base, i: _wrong(base[i])})
    for name in found:
        yield f"{name} wrong everywhere", frames({i: _wrong(a, {name}) for i, a in base.items()})
    for i in required:
        for name in sorted(k for k, v in base[i].items() if v.dtype.kind == "f" and not k.startswith("__")):
            yield f"{name} wrong in the required test {i} only", frames({**base, i: _wrong(base[i], {name})})
    yield "nothing computed", frames({i: {k: v for k, v in a.items() if k.startswith("__")} for i, a in base.items()})
    yield "stopped halfway", frames({i: a for i, a in base.items() if i < len(base) // 2}, done=False)


# --- the tests --------------------------------------------------------------------------------

def test_the_cipher_hides_every_word_and_gives_it_back():
    cipher = Cipher()
    template = cipher.template("{cls}.backward [{case}] {{literal}} {x:.3f}")
    assert "backward" not in template and "{cls}" in template and "{x:.3f}" in template
    coded = cipher.label(template.format(cls="Affine", case=cipher.template("large input"), x=1.5))
    assert "large" not in coded and cipher.label(coded) == coded
    assert cipher.decode(coded) == "Affine.backward [large input] {literal} 1.500"


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_every_exercise_scores_the_same_with_every_label_renamed(solution, monkeypatch, cipher):
    plain, coded, outcome = grade_both_ways(solution, monkeypatch, cipher)
    assert plain.score == plain.max_score > 0  # the reference solution
    assert_same(plain.tests, coded.tests, cipher)
    assert [cipher.decode(n) for n in coded.notes] == plain.notes

    # the same wrong results judged with the tests as they are and with every label renamed
    exercise_id = plain.exercise
    tests = grader.hidden_tests(SECRET, exercise_id)[0]
    with renamed(monkeypatch, cipher):
        coded_tests = grader.hidden_tests(SECRET, exercise_id)[0]
    received = protocol.parse(outcome.payload, len(tests))
    judged = 0
    for what, sent in variants(tests, received):
        results = judge.judge_all(tests, sent, outcome, [])
        with renamed(monkeypatch, cipher):
            coded_results = judge.judge_all(coded_tests, sent, outcome, [])
        assert summary(results) == summary(coded_results, cipher.decode), what
        with language.reporting("ko"):  # and the Korean report's labels are other words again
            korean = judge.judge_all(tests, sent, outcome, [])
        assert [r.score for r in korean] == [r.score for r in results], what
        judged += 1
    assert judged > len(tests)  # every test's arrays made wrong once, and more


# typical wrong answers graded in full (their own code run): partial credit, mistakes recognised, hints
from test_grading import MATMUL_TRANSPOSED_DW  # noqa: E402 (the same wrong answer as the grading tests)

AFFINE_2D_ONLY = """
class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b
    def forward(self, x):
        self.x = x
        return x @ self.W + self.b
    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T
"""

SOFTMAX_UNSTABLE = """
import numpy as np
def softmax(x):
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)
def cross_entropy_error(y, t):
    if y.ndim == 1:
        y, t = y.reshape(1, -1), t.reshape(1, -1)
    if t.size == y.size:
        t = t.argmax(axis=1)
    return -np.sum(np.log(y[np.arange(y.shape[0]), t] + 1e-7)) / y.shape[0]
class SoftmaxWithLoss:
    def forward(self, x, t):
        self.t, self.y = t, softmax(x)
        return cross_entropy_error(self.y, t)
    def backward(self, dout=1):
        n = self.t.shape[0]
        t = self.t if self.t.size == self.y.size else np.eye(self.y.shape[1])[self.t]
        return (self.y - t) / n
"""

LAYER_NORM_NO_VARIANCE_PATH = """
import numpy as np
class LayerNorm:
    def __init__(self, eps=1e-5):
        self.eps = eps
    def forward(self, x):
        mu = np.mean(x, axis=-1, keepdims=True)
        var = np.mean((x - mu) ** 2, axis=-1, keepdims=True)
        self.sigma = np.sqrt(var + self.eps)
        self.y = (x - mu) / self.sigma
        return self.y
    def backward(self, dout):
        return (dout - np.mean(dout, axis=-1, keepdims=True)) / self.sigma
"""


# (file, source, words of the message or hint that explains it)
WRONG = [("04_matmul.py", MATMUL_TRANSPOSED_DW, "transposed"), ("06_affine.py", AFFINE_2D_ONLY, "flatten it"),
         ("07_softmax_with_loss.py", SOFTMAX_UNSTABLE, "subtract each row's maximum"),
         ("18_layer_norm.py", LAYER_NORM_NO_VARIANCE_PATH, "path through the variance is missing")]


@pytest.mark.parametrize("name, source, words", WRONG, ids=[w[0] for w in WRONG])
def test_typical_wrong_answers_score_the_same_with_every_label_renamed(name, source, words, tmp_path, monkeypatch,
                                                                       cipher):
    path = tmp_path / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    plain, coded, _ = grade_both_ways(path, monkeypatch, cipher)
    assert 0 < plain.score < plain.max_score
    assert any(words in (c.message or "") for t in plain.tests for c in t.checks)
    assert_same(plain.tests, coded.tests, cipher)


# --- the whole hostile suite ------------------------------------------------------------------

HOSTILE = sorted(p for p in (ROOT / "tests" / "submissions").iterdir() if p.is_file())


@pytest.mark.batch
@pytest.mark.parametrize("path", HOSTILE, ids=lambda p: p.name)
def test_every_hostile_submission_scores_the_same_with_every_label_renamed(path, monkeypatch, cipher):
    """Each submission of the hostile suite (tests/submissions/, graded as it is by test_hostile.py), its code run
    once and its results judged with the labels as they are and renamed: the same scores, messages and notes; one
    that cannot be graded, the same reason."""
    plain, coded, _ = grade_both_ways(path, monkeypatch, cipher, must_grade=False)
    assert (plain.status, plain.score, plain.max_score) == (coded.status, coded.score, coded.max_score)
    if plain.status != "graded":
        assert cipher.decode(coded.reason) == plain.reason
        return
    assert_same(plain.tests, coded.tests, cipher)
    assert [cipher.decode(n) for n in coded.notes] == plain.notes
