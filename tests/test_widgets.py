"""The explorers: the numbers they draw, the static figures, and the live widgets without a front-end."""
import base64
import html
import math
import re

import numpy as np
import pytest

from backprop_lib import draw, widgets
from backprop_lib.gradcheck import numerical_gradient

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# --- choosing static or live ----------------------------------------------------------------

def test_use_static_explicit_choice_wins(monkeypatch):
    monkeypatch.setenv("BACKPROP_STATIC", "1")
    assert widgets.use_static(False) is False
    monkeypatch.setenv("BACKPROP_STATIC", "0")
    assert widgets.use_static(True) is True


def test_use_static_environment_variable(monkeypatch):
    monkeypatch.setenv("JPY_SESSION_NAME", "chapters/05_activations.ipynb")
    monkeypatch.setenv("BACKPROP_STATIC", "1")
    assert widgets.use_static() is True
    monkeypatch.delenv("JPY_SESSION_NAME")
    monkeypatch.setenv("BACKPROP_STATIC", "0")
    assert widgets.use_static() is False


def test_use_static_live_only_under_a_jupyter_server(monkeypatch):
    monkeypatch.delenv("BACKPROP_STATIC", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert widgets.use_static() is True  # headless: the book build, nbval
    monkeypatch.setenv("JPY_SESSION_NAME", "chapters/05_activations.ipynb")
    assert widgets.use_static() is False  # JupyterLab started this kernel


# --- the numbers each explorer draws ---------------------------------------------------------

def test_apple_orange_matches_the_notes():
    g = draw.apple_orange()
    assert g["values"]["price"] == pytest.approx(715)
    expected = {"apple": 2.2, "apple_num": 110, "orange": 3.3, "orange_num": 165, "tax": 650,
                "apple_price": 1.1, "orange_price": 1.1, "total": 1.1, "price": 1}
    for name, grad in expected.items():
        assert g["grads"][name] == pytest.approx(grad), name


@pytest.mark.parametrize("inputs", [(100, 2, 150, 3, 1.1, 1.0), (37.0, 4, 12.5, 1, 1.3, -0.7),
                                    (0.0, 0, 250, 7, 1.0, 2.0)])
def test_apple_orange_gradients_match_numerical_differentiation(inputs):
    names = ["apple", "apple_num", "orange", "orange_num", "tax"]
    x, dprice = np.array(inputs[:5], dtype=float), inputs[5]
    g = draw.apple_orange(*x, upstream_grad=dprice)

    def loss(values):  # L = dprice * price, so dL/dprice = dprice
        return dprice * draw.apple_orange(*values)["values"]["price"]

    numerical = numerical_gradient(loss, x.copy())
    np.testing.assert_allclose([g["grads"][n] for n in names], numerical, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("x", [-30.0, -4.0, -0.3, 0.0, 1.0, 6.0, 800.0])
def test_sigmoid_point_slope_is_y_one_minus_y_and_the_derivative(x):
    p = widgets.sigmoid_point(x)
    assert 0.0 <= p["y"] <= 1.0
    assert p["slope"] == pytest.approx(p["y"] * (1 - p["y"]), abs=1e-15)
    h = 1e-5
    numerical = (widgets.sigmoid_point(x + h)["y"] - widgets.sigmoid_point(x - h)["y"]) / (2 * h)
    assert p["slope"] == pytest.approx(numerical, rel=1e-6, abs=1e-12)


def test_sigmoid_point_at_zero():
    assert widgets.sigmoid_point(0.0) == {"x": 0.0, "y": 0.5, "slope": 0.25}


@pytest.mark.parametrize("y, expected", [((0.3, 0.2, 0.5), (0.3, -0.8, 0.5)),
                                         ((0.01, 0.99, 0.0), (0.01, -0.01, 0.0))])
def test_softmax_panel_reproduces_the_notes_examples(y, expected):
    with np.errstate(divide="ignore"):  # log(0) = -inf is a valid score: its probability is 0
        logits = np.log(y)
    p = widgets.softmax_panel(logits, label=1)
    np.testing.assert_allclose(p["y"], y, atol=1e-12)
    np.testing.assert_allclose(p["grad"], expected, atol=1e-12)
    assert p["loss"] == pytest.approx(-math.log(y[1]))
    np.testing.assert_array_equal(p["t"], [0, 1, 0])


def test_softmax_panel_gradient_is_the_numerical_gradient_of_the_loss():
    logits = np.array([0.3, 2.9, 4.0])
    p = widgets.softmax_panel(logits, label=2)
    numerical = numerical_gradient(lambda a: widgets.softmax_panel(a, 2)["loss"], logits.copy())
    np.testing.assert_allclose(p["grad"], numerical, atol=1e-8)
    assert p["y"].sum() == pytest.approx(1.0)


def test_softmax_panel_huge_logits_stay_finite():
    p = widgets.softmax_panel([1e4, 1e4 + 1, 1e4 - 2], label=0)
    assert np.all(np.isfinite(p["y"])) and math.isfinite(p["loss"])
    assert p["loss"] == pytest.approx(-np.log(np.exp(0) / (np.exp(0) + np.exp(1) + np.exp(-2))))


def test_playground_run_learns_the_spiral_and_is_reproducible():
    *_, (network, losses) = widgets.playground_run(learning_rate=1.0, iters_num=300, chunks=3)
    assert len(losses) == 300
    assert np.mean(losses[-50:]) < 0.75 * np.mean(losses[:50])
    *_, (_, again) = widgets.playground_run(learning_rate=1.0, iters_num=300, chunks=3)
    assert losses == again


def test_playground_run_yields_once_per_chunk_with_growing_losses():
    sizes = [len(losses) for _, losses in widgets.playground_run(iters_num=100, chunks=4)]
    assert sizes == [25, 50, 75, 100]


# --- the static figures -----------------------------------------------------------------------

EXPLORERS = [widgets.graph_explorer, widgets.sigmoid_explorer, widgets.softmax_explorer,
             widgets.training_playground]


@pytest.mark.parametrize("explorer", EXPLORERS, ids=lambda f: f.__name__)
def test_static_explorer_is_a_png_figure(explorer):
    shown = explorer(static=True)
    assert isinstance(shown, widgets.StaticFigure)
    assert shown._repr_png_().startswith(PNG_MAGIC)
    assert explorer.__name__ in repr(shown)


# --- the live widgets, driven without a front-end ------------------------------------------

def _change(explorer, name, value):
    before = (explorer.png, explorer.caption.value)
    explorer.controls[name].value = value
    return before


@pytest.mark.parametrize("explorer", EXPLORERS, ids=lambda f: f.__name__)
def test_live_explorer_starts_drawn_and_repr_is_stable(explorer):
    live = explorer(static=False, **({"iters_num": 100} if explorer is widgets.training_playground else {}))
    assert isinstance(live, widgets.Explorer)
    assert live.png.startswith(PNG_MAGIC) and base64.b64encode(live.png).decode() in live.image.value
    assert live.caption.value
    assert repr(live) == f"{explorer.__name__}: an interactive widget (needs a live Jupyter kernel)"
    assert live._repr_mimebundle_()["text/plain"] == repr(live)


def test_graph_explorer_updates_on_the_upstream_gradient():
    live = widgets.graph_explorer(static=False)
    assert "<b>2.2</b>" in live.caption.value and "<b>650</b>" in live.caption.value
    image, _ = _change(live, "dprice", 2.0)
    assert live.png != image
    assert "<b>4.4</b>" in live.caption.value and "<b>1300</b>" in live.caption.value


def test_sigmoid_explorer_updates_on_x():
    live = widgets.sigmoid_explorer(static=False, x=1.0)
    image, _ = _change(live, "x", 0.0)
    assert live.png != image
    assert "<b>0.2500</b>" in live.caption.value


def test_softmax_explorer_updates_on_logits_and_label():
    live = widgets.softmax_explorer(static=False)
    image, caption = _change(live, "a0", 5.0)
    assert live.png != image and live.caption.value != caption
    live.controls["true_class"].value = 1  # class 1: label index 0
    expected = widgets.softmax_panel([5.0, 2.9, 4.0], 0)["loss"]
    assert f"<b>{expected:.4f}</b>" in live.caption.value


def test_training_playground_retrains_on_a_new_setting():
    live = widgets.training_playground(static=False, iters_num=100)
    assert live.caption.value.startswith("iteration 100 of 100")
    image, caption = _change(live, "hidden_size", 5)
    assert live.png != image and live.caption.value != caption
    *_, (network, losses) = widgets.playground_run(1.0, 30, 5, 100, chunks=5)
    assert f"loss {losses[-1]:.3f}" in live.caption.value
    assert network.params["W1"].shape == (2, 5)


def test_one_colour_for_gradients_in_figures_and_widgets():
    assert widgets.GRAD_COLOR is draw.GRAD_COLOR


def test_softmax_explorer_numbers_classes_from_one_as_the_text_does():
    """The text's example is "the true class 3": label index 2, shown as class 3."""
    figure = widgets.softmax_figure([((0.3, 2.9, 4.0), 2)])
    ticks = [label.get_text() for label in figure.axes[0].get_xticklabels()]
    assert ticks == ["1", "2", "3*"]
    live = widgets.softmax_explorer(static=False)
    assert "y<sub>3</sub>" in live.caption.value  # the default is the text's example
    true_class = live.controls["true_class"]
    assert (true_class.min, true_class.value, true_class.max) == (1, 3, 3)
    true_class.value = 1
    assert "y<sub>1</sub>" in live.caption.value


def test_playground_static_figure_names_its_learning_rate():
    static = widgets.training_playground(static=True, learning_rate=1.0, iters_num=100)
    title = static.figure.axes[1].get_title()
    assert title.startswith("learning rate 1:"), title
    legend = [text.get_text() for text in static.figure.axes[0].get_legend().get_texts()]
    assert legend == ["learning rate 0.1", "learning rate 1", "learning rate 10"]


# --- every reader: descriptions and named controls ---------------------------------------------

from backprop_lib.figures import described  # noqa: E402


@pytest.mark.parametrize("explorer, numbers", [
    (widgets.graph_explorer, ["apple 100 (gradient 2.2)", "tax 1.1 (gradient 650)", "price 715"]),
    (widgets.sigmoid_explorer, ["x = 0: y = 0.500, slope 0.250", "x = 4: y = 0.982, slope 0.018"]),
    (widgets.softmax_explorer, ["true class 3", "loss L = 0.306", "y - t = (0.02, 0.25, -0.26)"]),
], ids=lambda x: getattr(x, "__name__", ""))
def test_static_explorers_say_what_they_show(explorer, numbers):
    alt, _ = described(explorer(static=True))
    for words in numbers:
        assert words in alt, alt


def test_the_playground_describes_each_run_at_length():
    static = widgets.training_playground(static=True, iters_num=100)
    alt, details = described(static)
    accuracy = static.figure.axes[1].get_title().split("(")[1].split("%")[0]
    assert f"{accuracy}% of the 300 points right" in alt, alt
    for rate in ("0.1", "1", "10"):
        assert f"learning rate {rate}: loss " in details, details


@pytest.mark.parametrize("explorer", EXPLORERS, ids=lambda f: f.__name__)
def test_every_control_is_a_labelled_field_and_the_picture_has_a_text_alternative(explorer):
    import ipywidgets

    live = explorer(static=False, **({"iters_num": 100} if explorer is widgets.training_playground else {}))
    for key, control in live.controls.items():
        assert isinstance(control, (ipywidgets.BoundedFloatText, ipywidgets.BoundedIntText)), \
            f"{key}: {type(control).__name__} (a slider's handle has no accessible name; JupyterLab takes a " \
            "drop-down list's arrow keys)"
        assert control.description.strip(), f"{key} has no label"
    frames = live._draw(**live.values())
    figure, _caption = frames if isinstance(frames, tuple) else list(frames)[-1]
    assert alt_of(live) == described(figure)[0] and len(alt_of(live).split()) > 10


def alt_of(live):
    """The text alternative of an explorer's picture (its <img alt>)."""
    return html.unescape(re.search(r'alt="([^"]*)"', live.image.value).group(1))


def test_the_picture_text_follows_the_controls():
    live = widgets.graph_explorer(static=False)
    before = alt_of(live)
    assert "price 715" in before
    live.controls["apple"].value = 200.0
    assert alt_of(live) != before and "price 935" in alt_of(live)  # (200 × 2 + 150 × 3) × 1.1
