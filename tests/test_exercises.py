"""The exercise notebooks run: solutions pass their visible checks, learner copies fail them clearly,
and a learner's typical mistake meets the check that explains it.
"""
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
STEMS = sorted(p.stem for p in (ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))


def execute(path):
    """The notebook at `path`, executed in a fresh python3 kernel; errors are kept as outputs."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


@pytest.fixture(scope="module")
def executed(request):
    """Executes every notebook the selected tests need, a few kernels at a time (they mostly wait)."""
    params = [getattr(getattr(item, "callspec", None), "params", {}) for item in request.session.items
              if item.module is request.module]
    paths = sorted({ROOT / p["folder"] / f"{p['stem']}.ipynb" for p in params if "folder" in p})
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {path: pool.submit(execute, path) for path in paths}
        yield lambda folder, stem: futures[ROOT / folder / f"{stem}.ipynb"].result()


def is_bug_hunt(stem):
    """Level 3 (NN_bug_*): the learner copy holds working-looking code with bugs, not stubs."""
    return "_bug_" in stem


def cells_with_role(nb, role):
    return [c for c in nb.cells if c.metadata["backprop"]["role"] == role]


def errors(cell):
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


def stdout(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


@pytest.mark.parametrize("folder", ["solutions"])
@pytest.mark.parametrize("stem", STEMS)
def test_solution_passes_all_visible_checks(executed, folder, stem):
    nb = executed(folder, stem)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not errors(cell), f"{cell.id}: {errors(cell)[0].ename}: {errors(cell)[0].evalue}"
    for cell in cells_with_role(nb, "check"):
        assert "✓" in stdout(cell), f"{cell.id} ran no check"


@pytest.mark.parametrize("folder", ["exercises"])
@pytest.mark.parametrize("stem", [s for s in STEMS if not is_bug_hunt(s)])
def test_exercise_checks_fail_with_the_name_of_the_task(executed, folder, stem):
    number = int(stem[:2])
    nb = executed(folder, stem)
    for cell in cells_with_role(nb, "setup") + cells_with_role(nb, "solution"):
        assert not errors(cell), f"{cell.id} must run in the learner copy"
    for cell in cells_with_role(nb, "check"):
        [error] = errors(cell)
        assert error.ename == "NotImplementedError", f"{cell.id}: {error.ename}: {error.evalue}"
        assert re.fullmatch(rf"Exercise {number}, task \S+: replace this line with your code", error.evalue)


@pytest.mark.parametrize("folder", ["exercises"])
@pytest.mark.parametrize("stem", [s for s in STEMS if is_bug_hunt(s)])
def test_handed_over_code_passes_its_demo_and_fails_a_real_check(executed, folder, stem):
    """Level 3: the learner copy holds the bugs. The author's demo passes on it; the learner's own check is
    still to write; the last check, on what the demo avoided, fails and names a wrong gradient."""
    nb = executed(folder, stem)
    for cell in cells_with_role(nb, "setup") + cells_with_role(nb, "solution"):
        assert not errors(cell), f"{cell.id} must run in the learner copy"
    demo, yours, last = cells_with_role(nb, "check")
    assert not errors(demo) and "✓" in stdout(demo), f"{demo.id}: the demo must pass on the handed-over code"
    [error] = errors(yours)
    assert error.ename == "NotImplementedError" and "task check_" in error.evalue, error.evalue
    [error] = errors(last)
    assert error.ename == "CheckFailed" and re.search(r"is wrong|has shape|modified in place", error.evalue)
    assert error.traceback[0].startswith("✗ "), error.traceback  # the message first, not the library's frames


def run_with_mistake(stem, check_id, wrong, right):
    """Run a solution notebook's setup and solution cells in-process, with `right` replaced by `wrong`
    in the solution code, then the check cell `check_id`. Returns the AssertionError it raised."""
    nb = nbformat.read(ROOT / "solutions" / f"{stem}.ipynb", as_version=4)
    namespace = {}
    replaced = 0
    for cell in [c for c in nb.cells if c.metadata["backprop"]["role"] in ("setup", "solution")]:
        source = cell.source
        if cell.metadata["backprop"]["role"] == "solution":
            replaced += source.count(right)
            source = source.replace(right, wrong)
        exec(compile(source, cell.id, "exec"), namespace)
    assert replaced == 1, f"{right!r} should occur once in the solution of {stem}"
    [check_cell] = [c for c in nb.cells if c.id == check_id]
    with pytest.raises(AssertionError) as info:
        exec(compile(check_cell.source, check_id, "exec"), namespace)
    return str(info.value)


MISTAKES = [  # (stem, check cell, wrong code, right code, what the learner must be told)
    ("02_mul_add_layers", "ex02-check-apple", "dx = dout * self.x", "dx = dout * self.y",
     r"d apple_price is wrong: expected 2\.2, found 20000\."),
    ("03_repeat_sum", "ex03-check-axis1", "(self.repeats, self.x_shape[axis])", "(self.x_shape[axis], self.repeats)",
     r"Repeat\(axis=1, repeats=3\)\.backward has shape \(1, 3\); expected \(1, 2\)\. Hint: a gradient has the shape"),
    ("04_matmul", "ex04-check-numbers", "dx = dout @ self.W\n", "dx = dout @ self.W.T\n",
     r"MatMul raised ValueError: .*shapes must chain.*transpose missing"),
    ("04_matmul", "ex04-check-numbers", "self.dW = dout.T @ self.x", "self.dW = self.x.T @ dout",
     r"dW has shape \(3, 2\); expected \(2, 3\)\. Hint: the shape is transposed"),
    ("05_activations", "ex05-check-relu", "dout[self.mask] = 0\n        return dout",
     "return np.where(self.mask, 0.0, dout)", r"dout was modified in place: at index \(0, 1\)"),
    ("05_activations", "ex05-check-sigmoid", "self.out = 1 / (1 + np.exp(-x))",
     "self.out = np.where(x >= 0, 1 / (1 + z), z / (1 + z))", r"Sigmoid\.forward warned: overflow"),
    ("06_affine", "ex06-check-numbers", "self.db = dout", "self.db = np.sum(dout, axis=0)",
     r"db has shape \(2, 3\); expected \(3,\)\. Hint: the bias gradient must be summed over the batch"),
    ("06_affine", "ex06-check-gradients", "self.x = x", "self.x = x.reshape(x.shape[0], -1)",
     r"Affine\.forward raised ValueError"),
    ("07_softmax_with_loss", "ex07-check-labels", "return dx * dout", "return dx * dout / batch_size",
     r"found is 2 times expected: did you forget to divide by the batch size"),
    ("07_softmax_with_loss", "ex07-check-notes", "return -dx * dout / batch_size", "return dx * dout / batch_size",
     r"dx is wrong.*wrong sign"),
    ("07_softmax_with_loss", "ex07-check-stable", "exp_x = np.exp(x)",
     "exp_x = np.exp(x - np.max(x, axis=-1, keepdims=True))", r"softmax warned: overflow.*subtract the row maximum"),
    ("07_softmax_with_loss", "ex07-check-stable", "np.log(p)", "np.log(np.maximum(p, 1e-300))",
     r"cross_entropy_error warned: divide by zero"),
    ("08_two_layer_gradient", "ex08-check-numerical", '"b1": affine2.db', '"b1": affine1.db',
     r"gradient\(net, x, t\)\['b1'\] has shape \(3,\); expected \(5,\)"),
    ("09_sgd_training", "ex09-check-sgd-step", "        params[key] = params[key] - learning_rate * grads[key]",
     "        params[key] -= learning_rate * grads[key]", r"update them in place"),
    ("09_sgd_training", "ex09-check-sgd-step", "        params[key] += learning_rate * grads[key]",
     "        params[key] -= learning_rate * grads[key]", r"W after one step is wrong at index"),
    # level 2: a wrong derivation is caught by the learner's own gradient check, entry by entry
    ("11_tanh", "ex11-check-gradients", "return dout * (1 - self.out)", "return dout * (1 - self.out ** 2)",
     r"Tanh: dx is wrong at index .*numerical gradients of your forward"),
    ("12_max_gate", "ex12-check-forward", "dy = np.where(self.x_wins, 0.0, dout) + dout",
     "dy = np.where(self.x_wins, 0.0, dout)", r"dx \+ dy \(the gradient is routed, not copied\) is wrong"),
    ("13_divide", "ex13-check-gradients", "dy = dout * self.x / self.y ** 2", "dy = -dout * self.x / self.y ** 2",
     r"DivideLayer: dy is wrong.*wrong sign"),
    ("14_softmax_jacobian", "ex14-check-values", "return y * dout", "return y * (dout - np.sum(dout * y, axis=-1, keepdims=True))",
     r"dx for a dout constant along each row is wrong"),
    ("18_layer_norm", "ex18-check-facts", "return dout / self.sigma",
     "return (dout - through_mean - through_variance) / self.sigma", r"each row of dx, summed is wrong"),
    ("18_layer_norm", "ex18-check-facts", "return (dout - through_mean) / self.sigma",
     "return (dout - through_mean - through_variance) / self.sigma",
     r"each row of x \* dx, summed \(eps = 0\) is wrong"),
    ("19_embedding", "ex19-check-forward", "self.dW[self.idx] += dout", "np.add.at(self.dW, self.idx, dout)",
     r"the columns of dW, summed \(as those of dout\) is wrong at index 2: expected 224, found 220 \(3 of 3 entries differ\)\.$"),
    ("20_max_pool", "ex20-check-forward", "return np.repeat(dout, self.k, axis=-1)",
     "return np.where(won, dout[..., None], 0.0).reshape(self.x_shape)",
     r"MaxPool\(3\)\.backward with ties \(the first maximum gets it\) is wrong"),
    ("21_hinge_loss", "ex21-check-facts", "= 0.0 * np.sum(self.violated, axis=1)", "= -np.sum(self.violated, axis=1)",
     r"the sum of each row of dx is wrong at index \d: expected 0, found"),  # the true class collects nothing
    ("21_hinge_loss", "ex21-check-facts", "return dx * dout\n", "return dx * dout / N\n",
     r"dx of the batch twice \(its first three rows\) is wrong.*found is 2 times expected: did you forget to divide"),
    ("22_logsumexp", "ex22-check-forward", "m = 0.0 * np.max(x, axis=self.axis, keepdims=True)",
     "m = np.max(x, axis=self.axis, keepdims=True)", r"LogSumExp\.forward warned: overflow"),
    ("22_logsumexp", "ex22-check-facts", "return np.exp(self.x - self.y)",
     "return np.expand_dims(dout, self.axis) * np.exp(self.x - self.y)",
     r"the sum of each row of dx is wrong at index \d: expected (2|-1), found 1"),  # dout forgotten
    ("23_gate", "ex23-check-facts", "self.dg = dout * self.x * self.s * (1 - self.s)",
     "dg = np.sum(dout * self.x, axis=batch_axes) * self.s.reshape(-1) * (1 - self.s.reshape(-1))\n"
     "        self.dg = dg.reshape(np.shape(self.g))",
     r"dg of the two saturated gates has shape \(2, 2\); expected \(2,\)\. Hint: the bias gradient must be summed"),
    # a missing keepdims is caught by the visible facts with values (not numpy's ValueError later)
    ("14_softmax_jacobian", "ex14-check-values", "axis=-1)", "axis=-1, keepdims=True)",
     r"dx for a dout constant along each row is wrong at index \(0, 1\)"),
    ("12_max_gate", "ex12-check-forward", "self.x_wins = x > y", "self.x_wins = x >= y",
     r"dx at the tie x = y = 2 is wrong: expected 30, found 0"),
    # level 3: the fixed code with one bug put back fails the check the demo did not run
    ("15_bug_affine", "ex15-check-gradients", "self.db = np.mean(dout, axis=0)", "self.db = np.sum(dout, axis=0)",
     r"db is wrong.*averaged where it should be summed"),
    ("16_bug_network", "ex16-check-gradients", "return dx * dout", "return dx * dout / batch_size",
     r"Network\.gradient\(x, t\)\['W1'\] is wrong.*found is 5 times expected: did you forget to divide by the batch size"),
    ("24_bug_accumulate", "ex24-check-gradients",
     "self.db = np.sum(dout, axis=0) if self.db is None else self.db + np.sum(dout, axis=0)",
     "self.db = np.sum(dout, axis=0)",
     r"Network\.gradient\(x, t\)\['b1'\] is wrong"),
    # level 4: a network of any depth
    ("17_multilayer_net", "ex17-check-gradients", "enumerate(reversed(self.affines), start=1)",
     "enumerate(self.affines, start=1)", r"\(4, 5, 3\), 'relu'\)\.gradient\['W1'\] has shape \(5, 3\); expected \(4, 5\)"),
    ("25_rnn_bptt", "ex25-check-backward", "self.dWx = self.xs[:, t].T @ da", "self.dWx += self.xs[:, t].T @ da",
     r"dWx \(T = 4\) is wrong at index"),  # T = 1 passes: one step has nothing to sum
    ("25_rnn_bptt", "ex25-check-backward", "dh = dhs[:, t]  #", "dh = dhs[:, t] + dh_next  #",
     r"dxs \(T = 4\) is wrong at index"),
    ("26_vectorised_backward", "ex26-check-same", "dx[:, :, k:k + L_out] = dcols", "dx[:, :, k:k + L_out] += dcols",
     r"dx for N=2, C_in=3, C_out=4, L_out=7, K=3 is wrong at index"),
    ("26_vectorised_backward", "ex26-check-same", "(self.cols.T @ G).reshape(", "(self.cols.T @ G).T.reshape(",
     r"dW for N=2, C_in=3, C_out=4, L_out=7, K=3 is wrong at index"),
    ("27_recompute", "ex27-check-memory", "            self.checkpoints.append(h)\n",
     "            if l % self.every == 0:\n                self.checkpoints.append(h)\n",
     r"more than a quarter of the"),
    ("27_recompute", "ex27-check-values",  # every segment restarted from backward's own dout
     "grad = dout\n            for l, affine, relu in reversed(segment):\n"
     "                grad = affine.backward(relu.backward(grad))",
     "for l, affine, relu in reversed(segment):\n                dout = affine.backward(relu.backward(dout))",
     r"dW, L=6, every=2 is wrong at index"),
    ("28_autodiff_exp_log", "ex28-check-ops", "x.grad = upstream_grad * out.data",
     "x.grad += upstream_grad * out.data", r"x.grad for exp after two calls of _backward \(they add up\) is wrong"),
    ("28_autodiff_exp_log", "ex28-check-stable", "shifted = scores - row_max", "shifted = scores",
     r"cross_entropy warned: .*subtract the row maximum"),
]


@pytest.mark.parametrize("stem, check_id, wrong, right, told", MISTAKES,
                         ids=[f"{m[0][:2]}-{m[1]}-{i}" for i, m in enumerate(MISTAKES)])
def test_a_typical_mistake_gets_the_right_hint(stem, check_id, wrong, right, told):
    assert re.search(told, run_with_mistake(stem, check_id, wrong, right), flags=re.S)


def first_failing_check(stem, *replacements):
    """Run a solution notebook's cells in order, in-process, with each (right, wrong) replacement made in
    its solution cells: (the id of the first check cell that raises, the exception), as a learner meets it."""
    nb = nbformat.read(ROOT / "solutions" / f"{stem}.ipynb", as_version=4)
    namespace = {}
    for cell in [c for c in nb.cells if c.cell_type == "code"]:
        role, source = cell.metadata["backprop"]["role"], cell.source
        if role == "solution":
            for right, wrong in replacements:
                source = source.replace(right, wrong)
        try:
            exec(compile(source, cell.id, "exec"), namespace)
        except Exception as error:  # noqa: BLE001  (whatever the learner would see)
            assert role == "check", f"{cell.id} ({role}) raised {error!r}"
            return cell.id, error
    return None, None


def test_a_recursive_topological_order_meets_the_deep_chain_of_the_visible_checks():
    recursive = ("""    stack = [(root, False)]  # (tensor, are its parents listed yet?): our own stack, no recursion
    while stack:
        node, parents_listed = stack.pop()
        if parents_listed:
            order.append(node)  # after its parents
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))  # comes back once its parents are listed
            stack.extend((parent, False) for parent in node.parents)""", """
    def visit(node):
        if node not in visited:
            visited.add(node)
            for parent in node.parents:
                visit(parent)
            order.append(node)
    visit(root)""")
    cell, error = first_failing_check("10_autodiff", recursive)
    assert cell == "ex10-check-walk" and isinstance(error, RecursionError), (cell, error)


@pytest.mark.parametrize("stem, replacement, cell, told", [
    ("14_softmax_jacobian", ("axis=-1, keepdims=True)", "axis=-1)"), "ex14-check-values",
     r"dx for a dout constant along each row is wrong"),
    ("17_multilayer_net", ('Affine(params[f"W{i}"], params[f"b{i}"])',
                           'Affine(params[f"W{i}"].copy(), params[f"b{i}"].copy())'), "ex17-check-shared",
     r"net\.predict\(x\) after net\.params changed in place is wrong"),
    ("24_bug_accumulate", ("        self.dW = self.x.T @ dout\n        self.db = np.sum(dout, axis=0)\n",
                           "        if self.dW is None:\n            self.dW, self.db = np.zeros_like(self.W), "
                           "np.zeros_like(self.b)\n        self.dW[...] = 0\n        self.db[...] = 0\n"
                           "        self.dW += self.x.T @ dout\n        self.db += np.sum(dout, axis=0)\n"),
     "ex24-check-gradients", r"the first call's gradients\['W1'\] is wrong"),
], ids=["14-keepdims", "17-copied-parameters", "24-zeroed-in-place"])
def test_the_first_visible_check_to_fail_names_the_mistake(stem, replacement, cell, told):
    """Issue 16: the first check a learner sees fail is the one about the mistake, with a clear message
    (a missing keepdims: not numpy's ValueError; copied parameters: not a wrong gradient check)."""
    failed, error = first_failing_check(stem, replacement)
    assert failed == cell and type(error).__name__ == "CheckFailed", (failed, error)
    assert re.search(told, str(error)), str(error)
