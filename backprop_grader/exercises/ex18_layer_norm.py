"""The hidden tests of exercise 18: derive layer normalisation.

LayerNorm(eps).forward(x) normalises each row of x (the last axis, D entries) by the row's own
mean and biased variance: y = (x - mu) / sqrt(var + eps). The learner derives dx, in which every
entry of a row depends on every other (mu and var are computed from the whole row).
Besides random rows: a batch of one, 3-d input, rows of length 1 (y = 0) and 2, constant rows
(var = 0: only eps keeps y finite, and eps is drawn here, so a hard-coded 1e-5 fails), rows far
from 0 (entries of 1e6..1e7 that differ by 1 to 10: the variance as mean(x^2) - mu^2 loses its
digits, and so does a difference quotient), and rows of 4,096 entries, where finite differences,
even one column of the whole batch at a time, take minutes. Typical wrong derivations (mu or var
held constant, eps left out of the backward, means over the batch) are recognised and named (mistakes.py).
"""
from __future__ import annotations

import numpy as np

from backprop_grader.language import N_, Message
from backprop_grader.exercises.layer_tests import Case, standard_tests
from backprop_grader.exercises.mistakes import Mistake, recognise
from backprop_grader.exercises.spec import Exercise
from backprop_grader.exercises.cases import dims, elementwise, signs

EPS = 1e-5  # the task's default
LARGE = (64, 4096)  # column-wise finite differences: 8,192 passes over the batch, over a minute; backprop: ms


class LayerNormReference:
    """y = (x - mu) / sqrt(var + eps) along the last axis; the grader's own, never shipped to the child."""

    def __init__(self, eps=EPS):
        self.eps = eps

    def forward(self, x):
        mu = np.mean(x, axis=-1, keepdims=True)
        xc = x - mu  # two passes: the variance of x - mu keeps its digits for rows far from 0
        self.sigma = np.sqrt(np.mean(xc ** 2, axis=-1, keepdims=True) + self.eps)
        self.y = xc / self.sigma
        return self.y

    def backward(self, dout):
        y = self.y
        return (dout - np.mean(dout, axis=-1, keepdims=True) - y * np.mean(dout * y, axis=-1, keepdims=True)) \
            / self.sigma


# --- typical wrong answers, computed here on a case's inputs ---------------------------------

def _parts(case):
    x, eps = case.inputs["x"], float(case.init[0][1])
    mu = np.mean(x, axis=-1, keepdims=True)
    var = np.mean((x - mu) ** 2, axis=-1, keepdims=True)
    return x, case.dout, eps, mu, var


def _backward(dout, y, sigma, mean=np.mean):
    return (dout - mean(dout, axis=-1, keepdims=True) - y * mean(dout * y, axis=-1, keepdims=True)) / sigma


def _constants(case):
    x, dout, eps, mu, var = _parts(case)
    return dout / np.sqrt(var + eps)


def _mean_path_only(case):
    x, dout, eps, mu, var = _parts(case)
    return (dout - np.mean(dout, axis=-1, keepdims=True)) / np.sqrt(var + eps)


def _variance_path_only(case):
    x, dout, eps, mu, var = _parts(case)
    y = (x - mu) / np.sqrt(var + eps)
    return (dout - y * np.mean(dout * y, axis=-1, keepdims=True)) / np.sqrt(var + eps)


def _sums_for_means(case):
    x, dout, eps, mu, var = _parts(case)
    sigma = np.sqrt(var + eps)
    return _backward(dout, (x - mu) / sigma, sigma, mean=np.sum)


def _batch_means(case):
    """The backward's means taken over axis 0 (the batch, as for a bias) instead of along each row."""
    x, dout, eps, mu, var = _parts(case)
    sigma = np.sqrt(var + eps)
    return _backward(dout, (x - mu) / sigma, sigma, mean=lambda a, axis, keepdims: np.mean(a, axis=0, keepdims=True))


def _no_eps_in_backward(case):
    x, dout, eps, mu, var = _parts(case)
    return _backward(dout, (x - mu) / np.sqrt(var + eps), np.sqrt(var))


def _no_eps_anywhere_in_backward(case):
    x, dout, eps, mu, var = _parts(case)
    return _backward(dout, (x - mu) / np.sqrt(var), np.sqrt(var))


def _unbiased(case):
    x, dout, eps, mu, var = _parts(case)
    return (x - mu) / np.sqrt(np.var(x, axis=-1, keepdims=True, ddof=1) + eps)


def _no_eps_in_forward(case):
    x, dout, eps, mu, var = _parts(case)
    return (x - mu) / np.sqrt(var)


def _no_square_root(case):
    x, dout, eps, mu, var = _parts(case)
    return (x - mu) / (var + eps)


def _columns(case):
    x, dout, eps, mu, var = _parts(case)
    return (x - np.mean(x, axis=0)) / np.sqrt(np.var(x, axis=0) + eps)


def _one_pass_variance(case):
    x, dout, eps, mu, var = _parts(case)
    return (x - mu) / np.sqrt(np.mean(x ** 2, axis=-1, keepdims=True) - mu ** 2 + eps)


CONSTANTS_HINT = N_("this is the gradient with mu and var held constant. Both are computed from every entry of "
                    "the row, so nudging one x_j moves them too, and with them every output of the row: in the "
                    "graph, x branches into x - mu, into the mean, and (through x - mu) into the variance, and the "
                    "gradients that come back along the branches add up (chapter 3, *The branch node: gradients "
                    "add up*).")
MEAN_ONLY_HINT = N_("the path through the variance is missing: var is computed from x - mu, so x - mu branches into "
                    "the output and into the variance, and the gradient that comes back through var must be added.")
VARIANCE_ONLY_HINT = N_("the path through the mean is missing: mu is a sum of the row divided by D, copied back to "
                        "every entry of the row (a repeat node) to form x - mu; its gradient returns to every x_j.")
SUMS_HINT = N_("sums where means belong: the mean divides its sum by D, and so does its backward (one local "
               "gradient 1/D per entry).")
BATCH_MEANS_HINT = N_("the backward's means run over the batch (axis 0), not along each row: mu and var are means of "
                      "one row (the last axis), so what comes back through them is a mean over that row too.")
NO_EPS_BACKWARD_HINT = N_("the backward uses sqrt(var) where the forward used sqrt(var + eps): eps is part of the "
                          "graph, so it stays in every local gradient (it is what keeps a constant row finite).")
UNBIASED_HINT = N_("the variance here divides by D (the biased variance, the mean of (x - mu)^2), not by D - 1.")
NO_EPS_FORWARD_HINT = N_("divide by sqrt(var + eps), not by sqrt(var): eps is part of the formula.")
NO_SQRT_HINT = N_("divide by the standard deviation sqrt(var + eps), not by the variance.")
COLUMNS_HINT = N_("normalise each row on its own (the last axis), not each column (axis 0).")
ONE_PASS_HINT = N_("mean(x^2) - mu^2 subtracts two numbers of about 1e13 here, and rounding leaves nothing of the "
                   "variance: compute it from x - mu.")

MISTAKES = (Mistake("dx", _constants, CONSTANTS_HINT), Mistake("dx", _mean_path_only, MEAN_ONLY_HINT),
            Mistake("dx", _variance_path_only, VARIANCE_ONLY_HINT), Mistake("dx", _sums_for_means, SUMS_HINT),
            Mistake("dx", _batch_means, BATCH_MEANS_HINT),
            Mistake("dx", _no_eps_in_backward, NO_EPS_BACKWARD_HINT),
            Mistake("dx", _no_eps_anywhere_in_backward, NO_EPS_BACKWARD_HINT),
            Mistake("y", _unbiased, UNBIASED_HINT), Mistake("y", _no_eps_in_forward, NO_EPS_FORWARD_HINT),
            Mistake("y", _no_square_root, NO_SQRT_HINT), Mistake("y", _columns, COLUMNS_HINT),
            Mistake("y", _one_pass_variance, ONE_PASS_HINT))

CONSTANT_HINT = N_("a constant row has var = 0: y = 0 there, and only eps (the constructor's, not a fixed 1e-5) "
                   "keeps the backward finite.")
LENGTH_ONE_HINT = N_("a row of one entry equals its own mean: y = 0, and so is its gradient.")
FAR_HINT = N_("compute the variance from x - mu (two passes over the row): mean(x^2) - mu^2 cancels catastrophically "
              "for rows far from 0. The gradient you derived keeps its digits here; a difference quotient does not.")


def _right(case):
    """The reference's y and dx on a case (cached with the case's other expected values)."""
    if "right" not in case.expected:
        layer = LayerNormReference(float(case.init[0][1]))
        y = layer.forward(np.copy(case.inputs["x"]))
        case.expected["right"] = {"y": y, "dx": layer.backward(np.copy(case.dout))}
    return case.expected["right"]


def _eps(rng, low, high):
    """A round eps from 10^low to 10^high (shown in the test's name)."""
    return float(f"{10 ** rng.uniform(low, high):.1g}")


def _layer_norm(rng_for):
    rng = rng_for("LayerNorm")
    N, D = dims(rng, 3, 6), dims(rng, 4, 8)
    eps_two, eps_constant = _eps(rng, -1, 0), _eps(rng, -3, -1)
    constant = np.repeat(rng.uniform(-3, 3, (N, 1)), D, axis=1)
    far = signs(rng, (N, 1)) * rng.uniform(1e6, 1e7, (N, 1)) + rng.uniform(1, 10) * rng.standard_normal((N, D))
    cases = [
        Case(Message(N_("random rows ({N}, {D})"), N=N, D=D), [("eps", EPS)],
             {"x": rng.uniform(0.5, 3) * rng.standard_normal((N, D)) + rng.uniform(-2, 2)}, None),
        Case(N_("batch of one"), [("eps", EPS)], {"x": rng.standard_normal((1, D))}, None),
        Case(N_("3-d input: rows along the last axis"), [("eps", EPS)], {"x": rng.standard_normal((2, 3, D))}, None),
        Case(N_("rows of length 1"), [("eps", EPS)], {"x": rng.standard_normal((N, 1))}, None, gradcheck=False,
             hint=LENGTH_ONE_HINT),
        Case(Message(N_("rows of length 2, eps = {eps}"), eps=eps_two), [("eps", eps_two)],
             {"x": rng.standard_normal((N, 2))}, None),
        Case(Message(N_("constant rows (var = 0), eps = {eps}"), eps=eps_constant), [("eps", eps_constant)],
             {"x": constant}, None, hint=CONSTANT_HINT),
        Case(N_("rows far from 0: entries of ±1e6..1e7 that differ by 1 to 10"), [("eps", EPS)], {"x": far}, None,
             gradcheck=False, hint=FAR_HINT),
    ]
    large = Case("", [("eps", EPS)], {"x": rng.standard_normal(LARGE)}, None)
    cases, [large] = elementwise(cases, rng), elementwise([large], rng)
    return recognise(standard_tests("LayerNorm", LayerNormReference, cases, large), cases + [large], _right,
                     MISTAKES)


EXERCISE = Exercise("18", "18_layer_norm", N_("Derive layer normalisation"), ("LayerNorm",), _layer_norm,
                    library_modules=("checks", "gradcheck"))
