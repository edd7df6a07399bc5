"""draw.py: graphs render, show the values and gradients the library computes, reject bad input."""
import io

import matplotlib
import numpy as np
import pytest
from matplotlib.colors import same_color
from matplotlib.figure import Figure

from backprop_lib import draw
from backprop_lib.draw import GRAD_COLOR, VALUE_COLOR, Edge, Node, draw_graph, format_value
from backprop_lib.functions import softmax
from backprop_lib.layers import Sigmoid

matplotlib.use("Agg")

BUILDERS = {
    "apple": lambda: draw.apple_graph(),
    "apple_orange": lambda: draw.apple_orange_graph(),
    "add": lambda: draw.add_node_graph(),
    "mul": lambda: draw.mul_node_graph(),
    "chain_symbolic": lambda: draw.chain_rule_graph(),
    "chain": lambda: draw.chain_rule_graph(1.0, 2.0),
    "repeat": lambda: draw.repeat_graph(),
    "sum": lambda: draw.sum_graph(),
    "branch": lambda: draw.branch_graph(),
    "sigmoid_symbolic": lambda: draw.sigmoid_graph(),
    "sigmoid": lambda: draw.sigmoid_graph(0.5),
    "softmax_with_loss": lambda: draw.softmax_with_loss_graph(),
    "matmul": lambda: draw.matmul_graph(np.ones((1, 2)), np.ones((2, 3))),
    "affine": lambda: draw.affine_graph(np.ones((4, 2)), np.ones((2, 3)), np.ones(3)),
}


def png_bytes(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def labels(fig, kind):
    """The edge labels of the figure: kind "value" (above the edges) or "grad" (below)."""
    texts = [t for t in fig.axes[0].texts if t.get_gid() == kind]
    color = VALUE_COLOR if kind == "value" else GRAD_COLOR
    assert all(same_color(t.get_color(), color) for t in texts), f"every {kind} label is drawn in {color}"
    return [t.get_text() for t in texts]


@pytest.mark.parametrize("name", BUILDERS)
def test_every_course_graph_renders(name):
    fig = BUILDERS[name]()
    assert isinstance(fig, Figure)
    assert png_bytes(fig).startswith(b"\x89PNG")
    assert labels(fig, "value") and labels(fig, "grad")


@pytest.mark.parametrize("name", BUILDERS)
def test_rendering_is_deterministic(name):
    assert png_bytes(BUILDERS[name]()) == png_bytes(BUILDERS[name]())


def test_apple_graph_shows_the_notes_numbers():
    fig = draw.apple_graph()
    assert {"100", "2", "200", "1.1", "220"} <= set(labels(fig, "value"))
    assert sorted(labels(fig, "grad")) == sorted(["2.2", "110", "1.1", "200", "1"])


def test_apple_orange_graph_shows_the_notes_numbers():
    fig = draw.apple_orange_graph()
    assert {"200", "450", "650", "715"} <= set(labels(fig, "value"))
    assert {"2.2", "110", "3.3", "165", "650", "1.1", "1"} <= set(labels(fig, "grad"))


def test_graphs_follow_their_arguments():
    """The numbers are computed, not typed in: other inputs give other labels."""
    fig = draw.apple_graph(apple=50, apple_num=4, tax=2)
    assert "400" in labels(fig, "value")
    assert {"8", "100", "200"} <= set(labels(fig, "grad"))


def test_add_passes_and_mul_swaps_the_upstream_gradient():
    assert labels(draw.add_node_graph(10, 5, 1.3), "grad") == ["1.3", "1.3", "1.3"]
    assert labels(draw.mul_node_graph(10, 5, 1.3), "grad") == ["6.5", "13", "1.3"]


def test_repeat_sums_and_sum_copies():
    assert labels(draw.repeat_graph(2.0, (1.0, 2.0, 4.0)), "grad")[0] == "7"
    assert labels(draw.sum_graph((1.0, 2.0, 3.0), 1.3), "grad") == ["1.3"] * 4
    assert labels(draw.branch_graph(2.0, (1.0, 0.5)), "grad")[0] == "1.5"


def test_chain_rule_graph_numbers():
    fig = draw.chain_rule_graph(1.0, 2.0)  # t = 3, z = 9, dz/dt = 2t = 6 = dz/dx = dz/dy
    assert labels(fig, "value") == ["1", "2", "3", "9"]
    assert labels(fig, "grad") == ["6", "6", "6", "1"]


def test_sigmoid_graph_agrees_with_the_sigmoid_layer():
    x = 0.5
    layer = Sigmoid()
    layer.forward(np.array(x))
    expected = format_value(layer.backward(np.array(1.0)))
    assert labels(draw.sigmoid_graph(x), "grad")[0] == expected


def test_softmax_with_loss_graph_shows_y_minus_t():
    a, t = np.array([0.3, 2.9, 4.0]), np.array([0, 0, 1])
    grads = labels(draw.softmax_with_loss_graph(a, t), "grad")
    for k, d in enumerate(softmax(a) - t):
        assert format_value(d) in grads, f"y_{k + 1} - t_{k + 1} = {d} missing from {grads}"


def test_matrix_graphs_show_shapes():
    texts = labels(draw.matmul_graph(np.ones((1, 2)), np.ones((2, 3))), "value")
    assert "$W$ (2, 3)" in texts and "$Y$ (1, 3)" in texts
    grads = labels(draw.affine_graph(np.ones((4, 2)), np.ones((2, 3)), np.ones(3)), "grad")
    assert any(g.endswith("(3,)") for g in grads)  # dB sums over the batch


def small_graph():
    nodes = {"a": Node("a", (0, 0), "input"), "f": Node("f", (2, 0)), "b": Node("b", (4, 0), "output")}
    return nodes, [Edge("a", "f", 1.5, 0.25), Edge("f", "b", 3, 1)]


def test_value_above_and_gradient_below_a_horizontal_edge():
    fig = draw_graph(*small_graph())
    value = next(t for t in fig.axes[0].texts if t.get_text() == "1.5")
    grad = next(t for t in fig.axes[0].texts if t.get_text() == "0.25")
    assert value.get_position()[1] > 0 > grad.get_position()[1]
    assert same_color(grad.get_color(), GRAD_COLOR) and same_color(value.get_color(), VALUE_COLOR)


def test_forward_only_has_no_gradients():
    fig = draw_graph(*small_graph(), show_grads=False, title="forward")
    assert labels(fig, "grad") == []
    assert fig.axes[0].get_title() == "forward"


def test_draws_into_a_given_axes():
    fig = Figure()
    ax = fig.add_subplot()
    assert draw_graph(*small_graph(), ax=ax) is fig
    assert "1.5" in [t.get_text() for t in ax.texts]


def test_figures_are_not_left_open_in_pyplot():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    draw.apple_graph()
    assert plt.get_fignums() == before


def test_edge_to_an_unknown_node_is_a_clear_error():
    nodes, edges = small_graph()
    with pytest.raises(ValueError, match=r"unknown node 'mul9'.*known nodes: 'a', 'f', 'b'"):
        draw_graph(nodes, edges + [Edge("f", "mul9", 1)])


@pytest.mark.parametrize("nodes, edges, message", [
    ({}, [], "non-empty dict"),
    ({"a": Node("a", (0, 0), kind="circle")}, [], "kind 'circle'"),
    ({"a": Node("a", (0, 0, 1))}, [], r"xy = \(x, y\)"),
    ({"a": ("a", (0, 0))}, [], "must be a Node"),
    ({"a": Node("a", (0, 0)), "b": Node("b", (0, 0))}, [Edge("a", "b")], "same place"),
    ({"a": Node("a", (0, 0))}, [("a", "a")], "Edge objects"),
])
def test_bad_graphs_are_rejected(nodes, edges, message):
    with pytest.raises((ValueError, TypeError), match=message):
        draw_graph(nodes, edges)


@pytest.mark.parametrize("value, text", [
    (220.00000000000003, "220"), (2.2000000000000002, "2.2"), (110.00000000000001, "110"), (7, "7"),
    (np.float64(-0.0), "0"), ("$x$", "$x$"), (None, None), (np.array([1.0, 0.5]), "[1, 0.5]"),
    (np.zeros((2, 3)), "(2, 3)"), (0.7310585786300049, "0.7311"),
])
def test_format_value(value, text):
    assert format_value(value) == text


def test_figures_show_themselves_in_notebooks():
    """A notebook displays the returned figure through _repr_png_, whatever the backend."""
    png = draw.apple_graph()._repr_png_()
    assert png.startswith(b"\x89PNG")


# --- the hidden unit's wishes (backprop_lib.nudges, chapter 9) ----------------------------

def test_a_hidden_units_wishes_add_up_to_its_backprop_gradient():
    """sum_k W2[j, k] (t_k - y_k) is -dL/dh_j, as Affine2.backward computes it."""
    from backprop_lib.network import TwoLayerNet
    from backprop_lib.nudges import hidden_unit_wishes

    net = TwoLayerNet(6, 5, 4, weight_init_std=1.0, seed=3)
    x = np.random.default_rng(4).uniform(0, 1, (1, 6))
    net.loss(x, np.array([2]))
    dh = net.layers["Affine2"].backward(net.last_layer.backward(1))[0]
    y, t = net.last_layer.y[0], np.eye(4)[2]
    for j in range(5):
        wishes = hidden_unit_wishes(net.params["W2"], y, t, j)
        assert wishes["shares"] == pytest.approx(net.params["W2"][j] * (t - y))
        assert wishes["total"] == pytest.approx(-dh[j], rel=1e-12, abs=1e-15)
    assert np.any(np.abs(dh) > 1e-3), "the check needs gradients that are not ~0"


def test_hidden_wishes_figure_labels_every_share_and_the_sum():
    from backprop_lib.nudges import hidden_unit_wishes, hidden_wishes_figure

    W2 = np.array([[0.5, -1.0, 2.0]])
    y, t = softmax(np.array([0.1, 0.2, 0.3])), np.array([0.0, 1.0, 0.0])
    fig = hidden_wishes_figure(W2, y, t, 0, ["cat", "dog", "bird"])
    shares = hidden_unit_wishes(W2, y, t, 0)["shares"]
    texts = [text.get_text() for text in fig.axes[0].texts]
    assert all(f"{s:+.4f}" in texts for s in shares)
    assert f"{shares.sum():+.4f}" in fig.axes[1].get_title()
    assert [label.get_text() for label in fig.axes[1].get_yticklabels()] == ["cat", "dog", "bird", "sum"]


def test_hidden_unit_wishes_rejects_mismatched_shapes():
    from backprop_lib.nudges import hidden_unit_wishes

    with pytest.raises(ValueError, match=r"expected W2 of shape \(H, C\).*found W2 \(2, 3\), y \(4,\)"):
        hidden_unit_wishes(np.ones((2, 3)), np.ones(4), np.ones(4), 0)


# --- show_source names the file and line it shows ------------------------------------------

def test_show_source_names_file_and_line():
    import inspect

    from backprop_lib.layers import Affine
    from backprop_lib.network import TwoLayerNet
    from backprop_lib.source import show_source, source_location

    line = inspect.getsourcelines(Affine)[1]
    assert source_location(Affine) == f"backprop_lib/layers.py:{line}"
    code = show_source(Affine).data
    assert code.startswith(f"# backprop_lib/layers.py:{line}\nclass Affine")
    method = show_source(TwoLayerNet.gradient).data
    assert method.split("\n")[1].startswith("def gradient(self, x, t):")  # dedented, as in an editor


# --- the graph in words (its text alternative) ------------------------------------------------

from backprop_lib.figures import described, spoken  # noqa: E402


def test_the_apple_graph_says_its_numbers():
    alt, details = described(draw.apple_graph())
    for words in ("apple 100 (gradient 2.2)", "apple num 2 (gradient 110)", "out 200 (gradient 1.1)",
                  "tax 1.1 (gradient 200)", "out price 220 (gradient 1)"):
        assert words in alt, alt
    assert details is None


def test_the_description_follows_the_numbers():
    alt, _ = described(draw.apple_graph(apple=50, apple_num=3, tax=1.5))
    for words in ("apple 50 (gradient 4.5)", "apple num 3 (gradient 75)", "out 150 (gradient 1.5)",
                  "tax 1.5 (gradient 150)", "out price 225 (gradient 1)"):
        assert words in alt, alt
    assert "100" not in alt and "220" not in alt


def test_the_forward_pass_alone_has_no_gradients():
    alt, _ = described(draw.apple_graph(show_grads=False))
    assert "apple 100" in alt and "price 220" in alt and "gradient" not in alt


@pytest.mark.parametrize("name", BUILDERS)
def test_every_course_graph_says_every_label_it_draws(name):
    """Each value and gradient drawn on the figure is in its description, as a screen reader reads it."""
    fig = BUILDERS[name]()
    alt, _ = described(fig)
    for text in labels(fig, "value") + labels(fig, "grad"):
        assert spoken(text) in alt, f"{text!r} (read as {spoken(text)!r}) is not in: {alt}"
    assert "$" not in alt and "\\" not in alt, alt


def test_a_graph_drawn_into_someone_elses_axes_has_no_description_of_its_own():
    fig = Figure()
    ax = fig.add_subplot()
    draw_graph({"a": Node("a", (0, 0), "input"), "b": Node("b", (2, 0), "output")}, [Edge("a", "b", 1, 2)], ax=ax)
    assert described(fig) == (None, None)


@pytest.mark.parametrize("tex, read", [(r"$\dfrac{\partial L}{\partial x}$", "∂L/∂x"),
                                       (r"$\dfrac{\partial z}{\partial t}\dfrac{\partial t}{\partial x}$",
                                        "∂z/∂t · ∂t/∂x"),
                                       (r"$-\dfrac{\partial L}{\partial y}y^2$", "-∂L/∂y · y²"),
                                       ("$y_{1}$", "y1"), ("Cross\nEntropy\nError", "Cross Entropy Error"),
                                       (r"$X \cdot W$ (2, 4)", "X · W (2, 4)")])
def test_labels_are_spoken_without_tex(tex, read):
    assert spoken(tex) == read
