"""backprop_lib.checks: the right sentence and hint for each common mistake.

Each wrong implementation below is one a learner really writes; the check must name it.
"""
import numpy as np
import pytest

from backprop_lib import Affine, MatMul, Relu, SoftmaxWithLoss
from backprop_lib.checks import (check, check_gradients, check_not_mutated, compare,
                                 mutation_message, no_warnings)

rng = np.random.default_rng(0)


def test_match_returns_none_and_check_prints(capsys):
    x = rng.standard_normal((3, 4))
    assert compare("dx", x.copy(), x) is None
    check("dx", x.copy(), x)
    assert "✓ dx matches" in capsys.readouterr().out


def test_roundoff_next_to_exact_zero_is_not_an_error():
    assert compare("db", np.array([1e-15, 5.0]), np.array([0.0, 5.0])) is None


def test_worst_index_expected_and_found_are_named():
    expected = np.array([[1.0, 2.0], [3.0, 4.0]])
    found = expected.copy()
    found[1, 0] = 30.0
    message = compare("dW", found, expected)
    assert "dW" in message and "(1, 0)" in message
    assert "expected 3" in message and "found 30" in message
    assert "1 of 4 entries" in message


def test_scalar_message_has_no_index():
    message = compare("total", 650, 715)
    assert message == "total is wrong: expected 715, found 650."


def test_check_raises_assertion_with_the_message():
    with pytest.raises(AssertionError, match="expected 715, found 650"):
        check("total", 650.0, 715.0)


def test_none_and_wrong_type():
    assert "forget a `return`" in compare("dx", None, np.ones(3))
    assert "found str" in compare("dx", "oops", np.ones(3))
    assert "expected a tuple of 2" in compare("backward", np.ones(2), (1.0, 2.0))
    assert "keys" in compare("grads", {"W1": 1.0}, {"W1": 1.0, "b1": 2.0})


def test_tuple_and_dict_name_the_wrong_item():
    assert compare("backward", (2.2, 110.0), (2.2, 110.0)) is None
    assert "backward[1]" in compare("backward", (2.2, 100.0), (2.2, 110.0))
    assert "grads['b1']" in compare("grads", {"W1": 1.0, "b1": 3.0}, {"W1": 1.0, "b1": 2.0})


def test_missing_transpose_in_matmul_backward_square():
    # Square W: the wrong dx = dout @ W has the right shape but is the transpose's product.
    x, W = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    dout = np.eye(3)
    layer = MatMul(W)
    layer.forward(x)
    dx = layer.backward(dout)
    assert "transpose" in compare("dx", dout @ W, dx)


def test_missing_transpose_shape_hint():
    x, W = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    dout = rng.standard_normal((2, 4))
    layer = MatMul(W)
    layer.forward(x)
    layer.backward(dout)
    wrong_dW = dout.T @ x  # (4, 3) instead of x.T @ dout (3, 4)
    message = compare("dW", wrong_dW, layer.dW)
    assert "shape (4, 3)" in message and "expected (3, 4)" in message and "transposed" in message


def test_bias_not_summed_over_the_batch():
    x, W, b = rng.standard_normal((5, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4)
    dout = rng.standard_normal((5, 4))
    layer = Affine(W, b)
    layer.forward(x)
    layer.backward(dout)
    message = compare("db", dout.copy(), layer.db)  # the wrong db = dout
    assert "summed over the batch" in message and "np." not in message  # the fix is in words, not code


def test_bias_averaged_instead_of_summed():
    dout = rng.standard_normal((5, 4))
    message = compare("db", np.mean(dout, axis=0), np.sum(dout, axis=0))
    assert "expected / 5" in message and "averaged where it should be summed" in message


def test_softmax_with_loss_backward_without_division_by_batch_size():
    x, t = rng.standard_normal((4, 3)), np.array([0, 2, 1, 2])
    layer = SoftmaxWithLoss()
    layer.forward(x, t)
    expected = layer.backward()
    wrong = layer.y.copy()
    wrong[np.arange(4), t] -= 1  # y - t, forgot / batch_size
    assert "4 times expected" in compare("dx", wrong, expected)
    assert "divide by the batch size" in compare("dx", wrong, expected)


def test_sign_error():
    expected = rng.standard_normal((2, 3))
    assert "wrong sign" in compare("dx", -expected, expected)


def test_nan_and_inf_are_located():
    found = np.ones((2, 3))
    found[1, 2] = np.nan
    message = compare("y", found, np.ones((2, 3)))
    assert "nan" in message and "(1, 2)" in message and "subtract the row maximum" in message
    assert "inf" in compare("loss", np.inf, 1.0)


def test_column_versus_flat_broadcast_trap():
    message = compare("y", np.ones((4, 1)), np.ones(4))
    assert "(N,) and (N, 1)" in message and "keepdims" not in message  # no code the learner may not have written


def test_relu_mutating_dout_is_reported():
    relu = Relu()
    x = np.array([[1.0, -2.0], [-3.0, 4.0]])
    relu.forward(x)
    dout = np.ones((2, 2))
    before = dout.copy()
    dout[relu.mask] = 0  # the notes' in-place backward
    message = mutation_message("dout", before, dout)
    assert "modified in place" in message and "(0, 1)" in message and "new array" in message
    with pytest.raises(AssertionError, match="modified in place"):
        check_not_mutated("dout", before, dout)


def test_unmutated_dout_passes(capsys):
    relu = Relu()
    relu.forward(np.array([1.0, -1.0]))
    dout = np.ones(2)
    before = dout.copy()
    relu.backward(dout)
    check_not_mutated("dout", before, dout)
    assert "was not modified" in capsys.readouterr().out


def test_check_gradients_accepts_a_correct_layer(capsys):
    W, b = rng.standard_normal((3, 2)), rng.standard_normal(2)
    check_gradients(Affine(W, b), rng.standard_normal((4, 3)))
    check_gradients(SoftmaxWithLoss(), rng.standard_normal((4, 3)), constants=(np.array([0, 2, 1, 1]),))
    out = capsys.readouterr().out
    assert "✓ Affine: backward agrees with numerical gradients of forward (dx, dW, db)" in out
    assert "✓ SoftmaxWithLoss" in out


def test_check_gradients_names_a_mean_bias_gradient():
    class MeanBiasAffine(Affine):
        def backward(self, dout):
            dx = super().backward(dout)
            self.db = np.mean(dout, axis=0)
            return dx

    W, b = rng.standard_normal((3, 2)), rng.standard_normal(2)
    with pytest.raises(AssertionError, match=r"MeanBiasAffine: db is wrong.*expected / 4.*averaged where it should be summed"):
        check_gradients(MeanBiasAffine(W, b), rng.standard_normal((4, 3)))


def test_check_gradients_names_a_missing_transpose():
    class TransposedDWMatMul(MatMul):
        def backward(self, dout):
            self.dW = dout.T @ self.x  # should be self.x.T @ dout
            return dout @ self.W.T

    class NoTransposeMatMul(MatMul):
        def backward(self, dout):
            self.dW = self.x.T @ dout
            return dout @ self.W  # should be self.W.T

    with pytest.raises(AssertionError, match=r"TransposedDWMatMul: dW is wrong.*transpose"):
        check_gradients(TransposedDWMatMul(rng.standard_normal((3, 3))), rng.standard_normal((2, 3)))
    with pytest.raises(AssertionError, match=r"NoTransposeMatMul.backward raised ValueError.*chain"):
        check_gradients(NoTransposeMatMul(rng.standard_normal((3, 4))), rng.standard_normal((2, 3)))


def test_check_gradients_names_softmax_without_division_by_batch_size():
    class NoDivisionSoftmaxWithLoss(SoftmaxWithLoss):
        def backward(self, dout=1):
            return super().backward(dout) * self.y.shape[0]

    with pytest.raises(AssertionError, match="5 times expected: did you forget to divide by the batch size"):
        check_gradients(NoDivisionSoftmaxWithLoss(), rng.standard_normal((5, 3)),
                        constants=(np.array([0, 1, 2, 0, 1]),))


def test_check_gradients_names_a_relu_that_mutates_dout():
    class InPlaceRelu(Relu):
        def backward(self, dout):
            dout[self.mask] = 0
            return dout

    with pytest.raises(AssertionError, match="dout was modified in place"):
        check_gradients(InPlaceRelu(), np.array([[1.0, -2.0], [-3.0, 4.0]]))


def test_check_gradients_names_a_bias_gradient_that_was_not_summed():
    class UnsummedAffine(Affine):
        def backward(self, dout):
            dx = super().backward(dout)
            self.db = dout.copy()
            return dx

    W, b = rng.standard_normal((3, 2)), rng.standard_normal(2)
    with pytest.raises(AssertionError, match="summed over the batch"):
        check_gradients(UnsummedAffine(W, b), rng.standard_normal((4, 3)))


def test_check_gradients_two_input_node_and_sign_error():
    from backprop_lib import MulLayer

    class SignMul(MulLayer):
        def backward(self, dout):
            dx, dy = super().backward(dout)
            return dx, -dy

    check_gradients(MulLayer(), 100.0, 2.0)
    with pytest.raises(AssertionError, match="SignMul: dy .*wrong sign"):
        check_gradients(SignMul(), 100.0, 2.0)


def test_no_warnings_turns_an_overflow_into_an_explanation():
    def naive_softmax(x):
        e = np.exp(x)
        return e / e.sum()

    with pytest.raises(AssertionError, match="softmax warned: overflow.*subtract the row maximum"):
        no_warnings("softmax", naive_softmax, np.array([1e4, 0.0, -1e4]))
    assert no_warnings("sum", np.sum, np.ones(3)) == 3.0


def test_a_list_is_an_array_and_a_tuple_is_separate_values():
    assert compare("W", np.array([[1.0, 2.0]]), [[1, 2]]) is None
    assert "W has shape (2,)" in compare("W", np.array([1.0, 2.0]), [[1, 2]])
    assert "expected a tuple of 2" in compare("backward", np.array([1.0, 2.0]), (1.0, 2.0))


def test_check_gradients_uses_the_params_it_is_told():
    class LearnerMatMul:  # a learner's class has no param_names
        def __init__(self, W):
            self.W, self.x, self.dW = W, None, None

        def forward(self, x):
            self.x = x
            return x @ self.W

        def backward(self, dout):
            self.dW = self.x.T @ dout * 2  # wrong by a factor 2
            return dout @ self.W.T

    W, x = rng.standard_normal((3, 2)), rng.standard_normal((4, 3))
    with pytest.raises(AssertionError, match="dW is wrong.*2 times expected"):
        check_gradients(LearnerMatMul(W), x, params=("W",))


def test_an_array_where_a_number_is_expected():
    message = compare("loss", np.array([1.5]), 1.5)
    assert "shape (1,); expected ()" in message and "single number" in message


# ---------------------------------------------------------------- in a real kernel: the message first

def test_a_failed_check_shows_its_message_first_in_a_real_kernel(tmp_path):
    """IPython renders CheckFailed through its _render_traceback_ hook: the message leads, then the
    cell's line; no frame of backprop_lib. The learner's own assert keeps its usual traceback."""
    import nbformat
    from nbclient import NotebookClient

    class_source = ("class Doubled:\n    def forward(self, x):\n        return 2 * x\n"
                    "    def backward(self, dout):\n        return 3 * dout\n")
    cells = ["import numpy as np\nfrom backprop_lib.checks import check, check_gradients, explain_shape_errors",
             "x = 1\ncheck('dW', np.eye(2) * 2, np.eye(2))",
             class_source + "check_gradients(Doubled(), np.ones((2, 3)))",
             "with explain_shape_errors('MatMul'):\n    np.ones((2, 3)) @ np.ones((2, 3))",
             "assert 1 == 2, 'my own assert'"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    errors = [[o for o in cell.outputs if o.output_type == "error"] for cell in nb.cells]
    assert not errors[0]
    for cell_errors, first in ((errors[1], "✗ dW is wrong at index (0, 0): expected 1, found 2"),
                               (errors[2], "✗ Doubled: dx is wrong"),
                               (errors[3], "✗ MatMul raised ValueError")):
        [error] = cell_errors
        assert error.ename == "CheckFailed"
        assert error.traceback[0].startswith(first), error.traceback
        assert "of this cell" in error.traceback[-1] and len(error.traceback) == 2, error.traceback
        assert not any("checks.py" in line or "site-packages" in line for line in error.traceback)
    assert "line 2 of this cell: check('dW'" in errors[1][0].traceback[1]
    [own] = errors[4]
    assert own.ename == "AssertionError" and own.evalue == "my own assert"


class _Scale:
    """y = x * s for a fixed s whose entries are 1e6 and 1e-3: L's terms are huge, one gradient is small."""

    def __init__(self, wrong=1.0):
        self.s, self.wrong = np.array([1e6, 1e-3]), wrong

    def forward(self, x):
        return x * self.s

    def backward(self, dout):
        return dout * self.s * self.wrong


def test_a_numerical_gradient_is_trusted_only_above_its_own_rounding():
    """Central differences of an L made of terms near 1e6 are off by about eps * 1e6 / h: a correct
    backward's small entry (1e-3) must not be called wrong for that (gradcheck.roundoff_floor), and a
    wrong backward is still caught on the entries above it."""
    from backprop_lib.gradcheck import loss_magnitude, numerical_gradients, roundoff_floor

    x, dout = np.array([1.0, 2.0]), np.array([1.0, -1.0])
    numeric = numerical_gradients(_Scale(), [x], (), dout)["x"]
    analytic = _Scale().backward(dout)
    assert abs(numeric[1] - analytic[1]) > 1e-7 * abs(analytic[1])  # the noise is real ...
    floor = roundoff_floor(loss_magnitude(_Scale(), [x], (), dout))
    assert abs(numeric[1] - analytic[1]) < floor < 1e-6 * abs(analytic[0])  # ... below the floor, itself tiny beside dx[0]
    assert compare("dx", analytic, numeric, tol=1e-6) is not None  # without the floor: a false alarm
    assert compare("dx", analytic, numeric, tol=1e-6, atol=floor) is None
    assert compare("dx", analytic * 2, numeric, tol=1e-6, atol=floor) is not None
    check_gradients(_Scale(), x)  # the visible check uses the same floor
    with pytest.raises(AssertionError, match="wrong"):
        check_gradients(_Scale(wrong=2.0), x)
