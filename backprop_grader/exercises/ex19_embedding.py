"""The hidden tests of exercise 19: derive the backward pass of an embedding lookup.

Embedding(W).forward(idx) returns W[idx], one row of W per integer of idx (any shape); backward(dout)
keeps dW, the gradient of W. A row that idx uses several times is copied several times (a repeat
node), so its gradient is the sum of its copies' gradients; a row never used gets 0. The classic
mistake, dW[idx] = dout or dW[idx] += dout, keeps one copy's gradient per row (numpy's indexed
assignment is buffered), and is recognised and named (mistakes.py). Repeated indices fall at random
positions in every case; one case uses a single index everywhere, one leaves most rows of W unused,
one runs forward and backward twice (dW belongs to the last call). The large case has a W of
100,000 entries: finite differences over it take minutes.
"""
from __future__ import annotations

import functools

import numpy as np

from backprop_lib.checks import compare
from backprop_grader.language import N_, Message, _, translated
from backprop_grader.exercises.layer_tests import Case, layer_tests
from backprop_grader.exercises.mistakes import Mistake, recognise
from backprop_grader.judging.verdicts import Check, expect, expect_unchanged
from backprop_grader.exercises.spec import Exercise, make_test
from backprop_grader.exercises.steps import attr, call, new, save
from backprop_grader.exercises.cases import dims
from backprop_grader.exercises.once_right import unless_wrong

LARGE_W, LARGE_IDX = (1000, 100), (32, 64)  # finite differences: 200,000 lookups of 2,048 rows; backprop: ms


class EmbeddingReference:
    """y = W[idx]; dW adds up the gradients of every copy of a row. The grader's own, never shipped."""

    def __init__(self, W):
        self.W = W

    def forward(self, idx):
        self.idx = idx
        return self.W[idx]

    def backward(self, dout):
        self.dW = np.zeros_like(self.W)
        np.add.at(self.dW, self.idx, dout)  # unbuffered: a repeated index adds every time


def _buffered(case):
    """dW[idx] = dout (or += on zeros): one copy's gradient per row, the others lost."""
    dW = np.zeros_like(case.init[0][1])
    dW[case.constants["idx"]] = case.dout
    return dW


REPEATS_HINT = N_("the rows that idx uses more than once got the gradient of only one of their copies. A row used "
                  "several times is copied several times (a repeat node, chapter 3), so its copies' gradients add "
                  "up; an indexed assignment, even written with +=, writes each selected row once (numpy buffers "
                  "it). Add every copy's gradient, or write the lookup as the one-hot product of chapter 4 and take "
                  "its dW.")
UNUSED_HINT = N_("dW has a row for every row of W, and a row that idx never uses gets exactly 0: start from zeros.")
TWICE_HINT = N_("each backward computes the gradient of its own forward: dW must not keep what an earlier backward "
                "added (start it from zeros in every call).")
MISTAKES = (Mistake("dW", _buffered, REPEATS_HINT),)


def _right(case):
    if "right" not in case.expected:
        layer = EmbeddingReference(np.copy(case.init[0][1]))
        y = layer.forward(np.copy(case.constants["idx"]))
        layer.backward(np.copy(case.dout))
        case.expected["right"] = {"y": y, "dW": layer.dW}
    return case.expected["right"]


def _case(label, rng, W, idx, **options):
    dout = rng.standard_normal(idx.shape + W.shape[1:])
    return Case(label, [("W", W)], {}, dout, constants={"idx": idx}, **options)


def _with_repeats(rng, V, shape):
    """Random indices in [0, V) where at least one index is used twice, at random positions."""
    idx = rng.integers(0, V, shape)
    while len(np.unique(idx)) == idx.size:
        idx = rng.integers(0, V, shape)
    return idx


def _embedding(rng_for):
    rng = rng_for("Embedding")
    V, D = dims(rng, 5, 8), dims(rng, 2, 4)
    N, T = dims(rng, 3, 5), dims(rng, 3, 5)

    def W(rows=V):
        return rng.standard_normal((rows, D))
    unused = rng.permutation(3 * V)[:3]  # 3 rows of 3V used, each once
    cases = [
        _case(Message(N_("indices of shape {shape}, some repeated"), shape=(2 * V,)), rng, W(),
              _with_repeats(rng, V, (2 * V,))),
        _case(Message(N_("indices of shape {shape}, some repeated"), shape=(N, T)), rng, W(),
              _with_repeats(rng, V, (N, T))),
        _case(N_("every index the same"), rng, W(), np.full((N, T), rng.integers(0, V))),
        _case(N_("batch of one"), rng, W(), _with_repeats(rng, V, (1, T)), gradcheck=False),
        _case(N_("3-d indices (2, 3, 4)"), rng, W(), rng.integers(0, V, (2, 3, 4)), gradcheck=False),
        _case(Message(N_("most rows unused: 3 indices into {rows} rows"), rows=3 * V), rng, W(3 * V), unused,
              hint=UNUSED_HINT),
    ]
    large = _case("", rng, rng.standard_normal(LARGE_W), rng.integers(0, LARGE_W[0], LARGE_IDX))
    large.gradcheck = False
    tests = recognise(layer_tests("Embedding", EmbeddingReference, cases, params=("W",), points=(1, 2, 1, 0),
                                  large=large), cases + [large], _right, MISTAKES)
    requires = next(t.requires for t in tests if t.requires)  # the large case, which layer_tests made the rest require
    return tests + [_twice_test(rng, V, D, requires), _unchanged_test(cases[1], requires)]


def _twice_test(rng, V, D, requires):
    """forward, backward, then forward and backward again on other indices: dW is the second call's."""
    W = rng.standard_normal((V, D))
    first, second = _with_repeats(rng, V, (2 * V,)), _with_repeats(rng, V, (2 * V,))
    douts = [rng.standard_normal(idx.shape + (D,)) for idx in (first, second)]
    steps = [new("layer", "Embedding", "W"), call("layer", "forward", "idx"), call("layer", "backward", "dout"),
             call("layer", "forward", "idx2"), call("layer", "backward", "dout2"), attr("layer", "dW", "dW")]

    @functools.cache
    def reference():
        grads = []
        for idx, dout in zip((first, second), douts):
            layer = EmbeddingReference(W)
            layer.forward(idx)
            layer.backward(dout)
            grads.append(layer.dW)
        return grads

    def judge(outputs):
        dW_first, dW_second = reference()
        check = expect(outputs, "dW", dW_second, label="Embedding.backward dW")
        found = outputs.get("dW")
        buffered = np.zeros_like(W)
        buffered[second] = douts[1]
        for wrong, hint in ((dW_first + dW_second, TWICE_HINT), (buffered, REPEATS_HINT)):
            if check.message and found is not None and np.shape(found) == wrong.shape \
                    and np.allclose(found, wrong, rtol=1e-6, atol=1e-12):
                check = Check(check.label, compare(check.label, found, dW_second, hint=translated(hint)),
                              array=check.array)
                break
        return [check]
    return make_test(N_("Embedding.backward [called twice: dW is the last call's]"), 1, steps,
                     {"W": W, "idx": first, "dout": douts[0], "idx2": second, "dout2": douts[1]}, judge,
                     ["Embedding"], requires=requires, kind="Embedding.backward")


def _unchanged_test(case, requires):
    """forward must not change idx or W, backward must not change dout or W (once the values are right)."""
    W, idx = case.init[0][1], case.constants["idx"]
    steps = [new("layer", "Embedding", "W"), call("layer", "forward", "idx", out=["y"]),
             save("idx", "idx_after_forward"), save("W", "W_after_forward"), call("layer", "backward", "dout"),
             attr("layer", "dW", "dW"), save("dout", "dout_after_backward"), save("W", "W_after_backward")]

    def judge(outputs):
        right = _right(case)
        values = [expect(outputs, "y", right["y"], label="Embedding.forward output"),
                  expect(outputs, "dW", right["dW"], label="Embedding.backward dW")]
        gate = unless_wrong(values)
        if gate:
            return [gate]
        return [expect_unchanged(outputs, "idx_after_forward", idx, label=_("{array} (after forward)").format(
                    array="idx")),
                expect_unchanged(outputs, "W_after_forward", W, label=_("{array} (after forward)").format(array="W")),
                expect_unchanged(outputs, "dout_after_backward", case.dout,
                                 label=_("{array} (after backward)").format(array="dout")),
                expect_unchanged(outputs, "W_after_backward", W, label=_("{array} (after backward)").format(
                    array="W"))]
    return make_test(Message(N_("{cls} leaves its inputs unchanged"), cls="Embedding"), 1, steps,
                     {"W": W, "idx": idx, "dout": case.dout}, judge, ["Embedding"], requires=requires)


EXERCISE = Exercise("19", "19_embedding", N_("Derive the embedding lookup"), ("Embedding",), _embedding,
                    library_modules=("checks", "gradcheck"))
