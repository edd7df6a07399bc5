"""Visible checks for the exercises: say what is wrong, where, and what the usual cause is.

`compare` returns a message (or None when all is well) so the grader can put it in a report;
`check` raises it as a CheckFailed (an AssertionError) inside a notebook, where IPython shows the
message first and the line of the cell, not the library's frames. Values are compared with the
course's relative error |a - b| / max(1e-8, |a| + |b|) (see gradcheck.rel_error).
A message names the symptom and where to look (which array, which index, expected and found,
the likely concept); it never gives code: the fix in words is the notebook's second hint.
Messages are in the learner's language (language.py), decided when the message is made; the
numbers, names, indices and shapes in them are formatted by the same code in every language.
"""
import functools
import linecache
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .gradcheck import analytic_gradients, loss_magnitude, numerical_gradients, roundoff_floor
from .language import _

# Below this absolute difference (times the size of the expected values) two numbers are equal:
# roundoff in a correct sum can leave 1e-15 where the exact answer is 0.
_ROUNDOFF = 1e-12
_LIBRARY = Path(__file__).resolve().parent


class CheckFailed(AssertionError):
    """A visible check that failed. In IPython its message comes first, then the cell's line."""

    def _render_traceback_(self):  # IPython's hook for an exception's own traceback
        return [f"✗ {self}", *_cell_line(self.__traceback__)]


def _cell_line(tb):
    """['  (line n of this cell: code)'] for the last frame outside backprop_lib, or []."""
    where = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not Path(filename).resolve().is_relative_to(_LIBRARY):
            where = (filename, tb.tb_lineno)
        tb = tb.tb_next
    if where is None:
        return []
    code = linecache.getline(*where).strip()
    if code:
        return [_("  (line {line} of this cell: {code})").format(line=where[1], code=code)]
    return [_("  (line {line} of this cell)").format(line=where[1])]


def _learner_facing(function):
    """Failures of a check function raise CheckFailed, so a notebook shows the message first."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except CheckFailed:
            raise
        except AssertionError as error:
            if not _raised_here(error.__traceback__):
                raise  # the learner's own assert: its traceback is what helps
            raise CheckFailed(str(error)) from None
    return wrapper


def _raised_here(tb):
    while tb.tb_next is not None:
        tb = tb.tb_next
    return Path(tb.tb_frame.f_code.co_filename).resolve() == Path(__file__).resolve()


def compare(name, found, expected, *, tol=1e-7, atol=0.0, hint=None, guess=True):
    """None if `found` matches `expected`; otherwise a short explanation for a learner.
    Differences up to `atol` never count (against numerical gradients: gradcheck.roundoff_floor).
    `hint`: the cause of wrong (or NaN) values when the caller knows it (a recognised mistake), not a guess.
    guess=False leaves out the guess from the values (found is expected / 2: ...), for a caller that
    knows this case's real cause and says it itself (a grader test's own hint).

    A tuple (such as the (dx, dy) of a two-input node) and a dict (such as the gradients
    {"W1": ..., "b1": ...}) are compared item by item; a list is an array, [[1, 2], [3, 4]].
    """
    if isinstance(expected, dict):
        return _compare_dict(name, found, expected, tol, atol, guess)
    if isinstance(expected, tuple):
        return _compare_sequence(name, found, expected, tol, atol, guess)
    expected = np.asarray(expected, dtype=np.float64)
    found_array, message = _as_float_array(name, found, expected)
    if message:
        return message
    if found_array.shape != expected.shape:
        return _shape_message(name, found_array.shape, expected.shape)
    if not np.all(np.isfinite(found_array)):
        return _nonfinite_message(name, found_array, hint)
    return _value_message(name, found_array, expected, tol, atol, hint, guess)


def check(name, found, expected, *, tol=1e-7):
    """Raise CheckFailed with compare's explanation, or print a one-line confirmation."""
    message = compare(name, found, expected, tol=tol)
    if message:
        raise CheckFailed(message)
    print(_("✓ {name} matches").format(name=name))


def mutation_message(name, before, after):
    """None if `after` equals the copy `before`; otherwise where the array was changed in place."""
    before, after = np.asarray(before), np.asarray(after)
    if before.shape == after.shape and np.array_equal(before, after, equal_nan=True):
        return None
    if before.shape != after.shape:
        return _("{name} changed shape from {before} to {after} during the call.").format(
            name=name, before=before.shape, after=after.shape)
    changed = np.argwhere(~((before == after) | (np.isnan(before) & np.isnan(after))))
    idx = tuple(int(i) for i in changed[0])
    was, now = _fmt_pair(before[idx], after[idx])
    return _("{name} was modified in place: at index {index} it was {was}, now it is {now} ({count} entries "
             "changed). Hint: a layer must not change its arguments: the caller may still need them (a branch "
             "sends the same gradient on twice). Build a new array for the result (chapter 5, *Why an in-place "
             "backward is a bug*).").format(name=name, index=_fmt_index(idx), was=was, now=now, count=len(changed))


def check_not_mutated(name, before, after):
    """The "mutated dout" check: raise if `after` differs from the copy `before` taken earlier."""
    message = mutation_message(name, before, after)
    if message:
        raise CheckFailed(message)
    print(_("✓ {name} was not modified").format(name=name))


@_learner_facing
def check_gradients(layer, *inputs, constants=(), params=None, tol=1e-6, seed=0):
    """Compare layer.backward with numerical gradients of the layer's own forward.

    The output y becomes the scalar L = sum(y * dout) for a random dout, so backward(dout)
    must return dL/dx. `params` names the parameters whose gradients backward keeps, such as
    ("W", "b") for self.dW, self.db (default: layer.param_names, or none). Raises AssertionError
    explaining the first gradient that disagrees, or that backward modified dout.
    """
    label = type(layer).__name__
    params = tuple(getattr(layer, "param_names", ()) if params is None else params)
    inputs = [np.array(x, dtype=np.float64) for x in inputs]
    with explain_shape_errors(f"{label}.forward"):
        dout = np.random.default_rng(seed).standard_normal(np.shape(layer.forward(*inputs, *constants)))
    dout_before = dout.copy()
    with explain_shape_errors(f"{label}.backward"):
        analytic = {"d" + k: v for k, v in analytic_gradients(layer, len(inputs), dout, params).items()}
    message = mutation_message(f"{label}.backward: dout", dout_before, dout)
    if message:
        raise AssertionError(message)
    with explain_shape_errors(f"{label}.forward"):
        numerical = numerical_gradients(layer, inputs, constants, dout, params)
        floor = roundoff_floor(loss_magnitude(layer, inputs, constants, dout))
    for var, expected in numerical.items():
        message = compare(f"{label}: d{var}", analytic.get("d" + var), expected, tol=tol, atol=floor)
        if message:
            raise AssertionError(_("{message} (The expected values are numerical gradients of your forward.)")
                                 .format(message=message))
    print(_("✓ {layer}: backward agrees with numerical gradients of forward ({gradients})").format(
        layer=label, gradients=", ".join(analytic)))


def no_warnings(name, func, *args):
    """func(*args), with any RuntimeWarning (overflow in exp, log of 0, 0/0) raised as an explanation."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            return func(*args)
        except RuntimeWarning as warning:
            raise CheckFailed(_(
                "{name} warned: {warning}. Hint: the exponential overflows above about 709: subtract the "
                "row maximum first (softmax), exponentiate only -|x| (sigmoid), and never take the log of 0."
            ).format(name=name, warning=warning)) from None


@contextmanager
def explain_shape_errors(what):
    """Inside this block, a ValueError (usually shapes that do not chain) becomes an explanation."""
    try:
        yield
    except ValueError as error:
        raise CheckFailed(_(
            "{what} raised ValueError: {error}. Hint: in a matrix product the shapes must chain, "
            "(N, D) times (D, H) gives (N, H), and each gradient has the shape of its variable "
            "(dx like x, dW like W): is a transpose missing, or an input not flattened?"
        ).format(what=what, error=error)) from error


def _compare_dict(name, found, expected, tol, atol=0.0, guess=True):
    if not isinstance(found, dict):
        return _("{name}: expected a dict with keys {keys}; found {found}.").format(
            name=name, keys=sorted(expected), found=type(found).__name__)
    missing = [k for k in expected if k not in found]
    if missing:
        return _("{name}: expected keys {keys}; the keys {missing} are missing.").format(
            name=name, keys=sorted(expected), missing=missing)
    for key in expected:
        message = compare(f"{name}[{key!r}]", found[key], expected[key], tol=tol, atol=atol, guess=guess)
        if message:
            return message
    return None


def _compare_sequence(name, found, expected, tol, atol=0.0, guess=True):
    if not isinstance(found, (tuple, list)) or len(found) != len(expected):
        what = _("a {type} of length {length}").format(type=type(found).__name__, length=len(found)) \
            if isinstance(found, (tuple, list)) else type(found).__name__
        return _("{name}: expected a tuple of {count} values; found {found}.").format(
            name=name, count=len(expected), found=what)
    for i, (f, e) in enumerate(zip(found, expected)):
        message = compare(f"{name}[{i}]", f, e, tol=tol, atol=atol, guess=guess)
        if message:
            return message
    return None


def _as_float_array(name, found, expected):
    """(array, None) when found is numeric, else (None, message)."""
    what = _("a number") if expected.ndim == 0 else _("an array of shape {shape}").format(shape=expected.shape)
    if found is None:
        return None, _("{name}: expected {what}; found None. Did you forget a `return` (or to set it)?").format(
            name=name, what=what)
    try:
        return np.asarray(found, dtype=np.float64), None
    except (TypeError, ValueError):
        return None, _("{name}: expected {what}; found {type} ({value}).").format(
            name=name, what=what, type=type(found).__name__, value=_short(found))


def _shape_message(name, found_shape, expected_shape):
    message = _("{name} has shape {found}; expected {expected}.").format(
        name=name, found=found_shape, expected=expected_shape)
    squeezed = tuple(d for d in found_shape if d != 1) == tuple(d for d in expected_shape if d != 1)
    if expected_shape == ():
        hint = _("a single number is expected: the loss is one number for the whole batch (a mean or a sum).")
    elif len(expected_shape) == 1 and found_shape == (1, expected_shape[0]):
        hint = _("one row instead of a vector: a bias gradient has the shape of b, (H,); the batch axis "
                 "is summed away, not kept with size 1.")
    elif len(expected_shape) == 1 and len(found_shape) == 2 and found_shape[1] == expected_shape[0]:
        hint = _("the bias gradient must be summed over the batch (chapter 6: the bias is copied to every "
                 "row): one number per output, not one row per example.")
    elif len(found_shape) == 2 and found_shape == expected_shape[::-1]:
        hint = _("the shape is transposed: is a transpose missing, or a matrix product in the wrong order?")
    elif squeezed:
        hint = _("(N,) and (N, 1) are different shapes, and adding them broadcasts to (N, N): "
                 "a summed axis must be kept (size 1) or dropped consistently, so the shapes agree exactly.")
    else:
        hint = _("a gradient has the shape of the variable it belongs to (an output, that of the layer's "
                 "output); look at reshapes, at which axis is summed, and at the order of matrix products.")
    return with_hint(message, hint)


def _nonfinite_message(name, found, hint=None):
    bad = np.argwhere(~np.isfinite(found))
    idx = tuple(int(i) for i in bad[0])
    hint = hint or _("exp of a large number overflows and log(0) is -inf: subtract the row maximum before np.exp, "
                     "and never take the log of 0.")
    if not idx:
        return with_hint(_("{name} is {value}.").format(name=name, value=found[idx]), hint)
    return with_hint(_("{name} is {value} at index {index} ({count} of {size} entries are NaN or inf).").format(
        name=name, value=found[idx], index=_fmt_index(idx), count=len(bad), size=found.size), hint)


def _value_message(name, found, expected, tol, atol=0.0, hint=None, guess=True):
    diff = np.abs(found - expected)
    errors = diff / np.maximum(1e-8, np.abs(found) + np.abs(expected))
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    wrong = (errors > tol) & (diff > max(_ROUNDOFF * scale, atol))
    if not np.any(wrong):
        return None
    idx = np.unravel_index(np.argmax(np.where(wrong, errors, -1.0)), found.shape)
    idx = tuple(int(i) for i in idx)
    e, f = _fmt_pair(expected[idx], found[idx])
    if not idx:
        message = _("{name} is wrong: expected {expected}, found {found}.")
    elif found.size > 1:
        message = _("{name} is wrong at index {index}: expected {expected}, found {found} "
                    "({count} of {size} entries differ).")
    else:
        message = _("{name} is wrong at index {index}: expected {expected}, found {found}.")
    message = message.format(name=name, index=_fmt_index(idx), expected=e, found=f, count=int(wrong.sum()),
                             size=found.size)
    return with_hint(message, hint or (_value_hint(found, expected, tol) if guess else None))


def with_hint(message, hint):
    """'message Hint: hint' in the learner's language (the message alone if there is no hint)."""
    return _("{message} Hint: {hint}").format(message=message, hint=hint) if hint else message


def _value_hint(found, expected, tol):
    """The common mistake that explains found, if one does."""
    def close(a, b):
        return np.allclose(a, b, rtol=max(tol, 1e-9), atol=_ROUNDOFF)

    if close(found, -expected):
        return _("every entry has the wrong sign: check the sign of the local gradient (y - t, not t - y).")
    if found.ndim == 2 and found.shape[0] == found.shape[1] > 1 and close(found, expected.T):
        return _("found is the transpose of expected: is a transpose missing, or a matrix product in the "
                 "wrong order?")
    if not np.any(found):
        return _("found is all zeros: is the gradient computed before it is returned, and is the mask the "
                 "right way round?")
    ratio = _constant_ratio(found, expected)
    if ratio is not None:
        k = round(ratio)
        if ratio > 1.5 and abs(ratio - k) < 1e-6:
            return _("found is {factor} times expected: did you forget to divide by the batch size?").format(factor=k)
        inverse = 1 / ratio
        if inverse > 1.5 and abs(inverse - round(inverse)) < 1e-6:
            return _("found is expected / {factor}: is the gradient averaged where it should be summed over "
                     "the batch, or divided by the batch size twice?").format(factor=round(inverse))
        return _("found is {factor} times expected everywhere: a constant factor is wrong.").format(
            factor=f"{ratio:.4g}")
    return None


def _constant_ratio(found, expected):
    """c if found == c * expected for one constant c (on at least two nonzero entries), else None."""
    nonzero = np.abs(expected) > _ROUNDOFF
    if np.count_nonzero(nonzero) < 2 or np.any(np.abs(found[~nonzero]) > _ROUNDOFF):
        return None
    ratios = found[nonzero] / expected[nonzero]
    c = float(ratios.flat[0])
    return c if c != 0 and np.allclose(ratios, c, rtol=1e-9, atol=0) else None


def _fmt_pair(a, b):
    """Two numbers with 6 significant digits, or as many more as it takes to tell them apart."""
    for digits in (6, 10, 17):
        sa, sb = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if sa != sb:
            break
    return sa, sb


def _fmt_index(idx):
    return str(idx[0]) if len(idx) == 1 else str(tuple(idx))


def _short(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
