"""Exercises 18-20 (derive a new node): a typical wrong derivation, graded by the real grader, loses
exactly the points it should and its first hint names its real cause (backprop_grader/mistakes.py).
Each wrong attempt is the reference solution with one line changed, so nothing else is wrong.
"""
import re
import textwrap

import numpy as np
import pytest

from backprop_grader import grader
from backprop_grader.exercises.mistakes import Mistake, recognise
from backprop_grader.exercises.layer_tests import Case
from backprop_grader.judging.verdicts import Check
from backprop_grader.exercises.spec import make_test

LAYER_NORM = """
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
        y = self.y
        return (dout - np.mean(dout, axis=-1, keepdims=True) - y * np.mean(dout * y, axis=-1, keepdims=True)) / self.sigma
"""

EMBEDDING = """
import numpy as np

class Embedding:
    def __init__(self, W):
        self.W = W
        self.dW = None

    def forward(self, idx):
        self.idx = idx
        return self.W[idx]

    def backward(self, dout):
        self.dW = np.zeros_like(self.W)
        np.add.at(self.dW, self.idx, dout)
"""

MAX_POOL = """
import numpy as np

class MaxPool:
    def __init__(self, k):
        self.k = k

    def forward(self, x):
        windows = x.reshape(*x.shape[:-1], x.shape[-1] // self.k, self.k)
        self.x_shape = x.shape
        self.winner = np.argmax(windows, axis=-1)
        return np.max(windows, axis=-1)

    def backward(self, dout):
        mask = np.arange(self.k) == self.winner[..., None]
        return np.where(mask, dout[..., None], 0.0).reshape(self.x_shape)
"""

BACKWARD_LN = "return (dout - np.mean(dout, axis=-1, keepdims=True) - y * np.mean(dout * y, axis=-1, keepdims=True)) / self.sigma"
MAX_LN = "        windows = x.reshape(*x.shape[:-1], x.shape[-1] // self.k, self.k)\n"
POOL_MASK = "mask = np.arange(self.k) == self.winner[..., None]"

# (file, source, right line, wrong line, tests that fail (a regular expression), words of the first hint)
MISTAKES = [
    ("18_layer_norm.py", LAYER_NORM, BACKWARD_LN, "return dout / self.sigma", r"\.backward|gradient check",
     "mu and var held constant"),
    ("18_layer_norm.py", LAYER_NORM, BACKWARD_LN,
     "return (dout - np.mean(dout, axis=-1, keepdims=True)) / self.sigma", r"\.backward|gradient check",
     "path through the variance is missing"),
    ("18_layer_norm.py", LAYER_NORM, BACKWARD_LN,
     "return (dout - y * np.mean(dout * y, axis=-1, keepdims=True)) / self.sigma",
     r"\.backward \[(?!rows of length 1|constant rows)|gradient check",  # y = 0 there: as if both held constant
     "path through the mean is missing"),
    ("18_layer_norm.py", LAYER_NORM, BACKWARD_LN,
     "return (dout - np.sum(dout, axis=-1, keepdims=True) - y * np.sum(dout * y, axis=-1, keepdims=True)) / self.sigma",
     r"\.backward \[(?!rows of length 1)|gradient check", "sums where means belong"),
    ("18_layer_norm.py", LAYER_NORM, BACKWARD_LN,
     "return (dout - np.mean(dout, axis=0, keepdims=True) - y * np.mean(dout * y, axis=0, keepdims=True)) / self.sigma",
     r"\.backward|gradient check", "over the batch (axis 0)"),
    ("18_layer_norm.py", LAYER_NORM, BACKWARD_LN,
     "return (dout - np.mean(dout, axis=-1, keepdims=True) - y * np.mean(dout * y, axis=-1, keepdims=True)) / np.sqrt(self.sigma ** 2 - self.eps)",
     r"\.backward \[(?!rows of length 1)|gradient check", "eps is part of the graph"),
    ("18_layer_norm.py", LAYER_NORM, "var = np.mean((x - mu) ** 2, axis=-1, keepdims=True)",
     "var = np.var(x, axis=-1, keepdims=True, ddof=1)", r"\.forward \[(?!rows of length 1)", "not by D - 1"),
    ("18_layer_norm.py", LAYER_NORM, "self.y = (x - mu) / self.sigma", "self.y = (x - mu) / (self.sigma ** 2)",
     r"\.forward \[(?!rows of length 1)|\.backward|gradient check", "not by the variance"),
    ("18_layer_norm.py", LAYER_NORM, "var = np.mean((x - mu) ** 2, axis=-1, keepdims=True)",
     "var = np.mean(x ** 2, axis=-1, keepdims=True) - mu ** 2", r"far from 0", "mean(x^2) - mu^2 subtracts"),
    ("19_embedding.py", EMBEDDING, "np.add.at(self.dW, self.idx, dout)", "self.dW[self.idx] += dout",
     r"\.backward|gradient check", "writes each selected row once"),
    ("19_embedding.py", EMBEDDING, "self.dW = np.zeros_like(self.W)\n        np.add.at(self.dW, self.idx, dout)",
     "if self.dW is None:\n            self.dW = np.zeros_like(self.W)\n        np.add.at(self.dW, self.idx, dout)",
     r"called twice", "must not keep what an earlier backward"),
    ("20_max_pool.py", MAX_POOL, "return np.where(mask, dout[..., None], 0.0).reshape(self.x_shape)",
     "return np.repeat(dout, self.k, axis=-1)", r"\.backward \[(?!windows of 1)|gradient check",
     "routed, not copied"),
    ("20_max_pool.py", MAX_POOL, "return np.where(mask, dout[..., None], 0.0).reshape(self.x_shape)",
     "return np.repeat(dout, self.k, axis=-1) / self.k", r"\.backward \[(?!windows of 1)|gradient check",
     "not its mean"),
    ("20_max_pool.py", MAX_POOL, POOL_MASK,
     "windows = np.reshape(self.x, (*self.x_shape[:-1], -1, self.k)); mask = windows == windows.max(-1, keepdims=True)",
     r"ties", "only the FIRST of them"),
    ("20_max_pool.py", MAX_POOL, POOL_MASK,
     "mask = np.arange(self.k) == (self.k - 1 - np.argmax(np.reshape(self.x, (*self.x_shape[:-1], -1, self.k))[..., ::-1], axis=-1))[..., None]",
     r"ties", "not the last"),
    ("20_max_pool.py", MAX_POOL, MAX_LN, "        windows = np.swapaxes(x.reshape(*x.shape[:-1], self.k, x.shape[-1] // self.k), -1, -2)\n",
     r"\.forward \[(?!windows of 1|one window)|\.backward \[(?!windows of 1|one window)|gradient check",
     "neighbouring entries"),
    ("20_max_pool.py", MAX_POOL, "return np.max(windows, axis=-1)", "return np.maximum(np.max(windows, axis=-1), 0)",
     r"negative", "not from 0"),
]


def _attempt(name, source, right, wrong):
    assert source.count(right) == 1, right
    source = source.replace(right, wrong)
    if "self.x" in wrong and "self.x = x" not in source:
        source = source.replace("        self.x_shape = x.shape\n", "        self.x_shape = x.shape\n        self.x = x\n")
    return name, textwrap.dedent(source)


@pytest.mark.parametrize("name, source, right, wrong, failing, cause", MISTAKES,
                         ids=[f"{m[0][:2]}-{m[5][:28]}" for m in MISTAKES])
def test_a_wrong_derivation_fails_where_it_should_and_its_first_hint_names_the_cause(
        tmp_path, name, source, right, wrong, failing, cause):
    name, attempt = _attempt(name, source, right, wrong)
    path = tmp_path / name
    path.write_text(attempt, encoding="utf-8")
    report = grader.grade(path, secret="mistakes")
    assert report.status == "graded" and 0 < report.score < report.max_score, report.text()
    failed = [t for t in report.tests if not t.passed]
    named = [t for t in failed if re.search(failing, t.name) and "not checked yet" not in t.message()]
    assert named, report.text()
    first = next(t for t in failed if cause in t.message())  # the test whose own values show the mistake
    hints = re.findall(r"Hint: ([^\n]*)", first.message())
    assert hints and cause in hints[0], first.message()  # the first hint is the cause, not a generic guess
    kind = first.name.split(" [")[0]  # LayerNorm.forward or LayerNorm.backward: where the mistake shows
    for test in failed:  # every test of that kind that fails on its own values names the same cause first
        if test.name.startswith(kind + " [") and re.search(failing, test.name) and "right here" not in test.message():
            assert cause in test.message().split("Hint:")[1], (test.name, test.message())
        said = re.findall(r"Hint: ([^\n]*)", test.message())
        assert len(said) == len(set(said)), (test.name, test.message())  # a hint is said once, not twice


def test_the_reference_answers_score_full_marks(tmp_path):
    for name, source in (("18_layer_norm.py", LAYER_NORM), ("19_embedding.py", EMBEDDING),
                         ("20_max_pool.py", MAX_POOL)):
        path = tmp_path / name
        path.write_text(textwrap.dedent(source), encoding="utf-8")
        report = grader.grade(path, secret="mistakes")
        assert report.score == report.max_score > 0, report.text()


def test_a_recognised_mistake_changes_the_words_never_the_score():
    x, dout = np.array([[1.0, 2.0, 4.0]]), np.array([[1.0, -1.0, 0.5]])
    case = Case("c", [], {"x": x}, dout)
    right = {"dx": 2 * dout}
    test = make_test("T.backward [c]", 1, [], {"x": x, "dout": dout},
                     lambda outputs: [Check("T.backward dx", None if np.allclose(outputs["dx"], 2 * dout) else "wrong",
                                            array="dx")], kind="T.backward")
    [test] = recognise([test], [case], lambda c: right, [Mistake("dx", lambda c: -c.dout, "doubled and negated")])
    [check] = test.judge({"dx": -dout})
    assert check.message and check.message.endswith("Hint: doubled and negated")
    [check] = test.judge({"dx": dout * 3})  # wrong in another way: the judge's own message
    assert check.message == "wrong"
    [check] = test.judge({"dx": 2 * dout})
    assert check.message is None
