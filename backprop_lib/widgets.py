"""Interactive explorers for the chapters, each with a static figure for the website.

Every explorer is split in two:
- a pure function that computes what to draw (values, gradients, curves) with the library's
  own layers; the tests check these numbers;
- a figure of those numbers, shown either as a static picture or inside a live widget.

`explorer(static=None)` decides which one to show (see `use_static`): a live widget when a
Jupyter server runs the kernel (JupyterLab, Notebook), a static figure when nobody can move a
slider (the book build, nbval, nbconvert). Pass static=True or static=False to choose.

Words (controls, captions, figure titles and labels) are in the learner's language
(backprop_lib.language); a static figure also carries its Korean picture for the website
(backprop_lib.figures).
"""
import base64
import html
import io
import os

import ipywidgets as widgets
import numpy as np

from . import draw
from .draw import GRAD_COLOR  # one red for gradients, in the graphs and in the explorers
from .datasets import make_spiral
from .figures import CourseFigure, described, figure_metadata, in_language, listing
from .language import N_, _
from .layers import Sigmoid, SoftmaxWithLoss
from .network import TwoLayerNet
from .training import train


def use_static(static=None):
    """True when an explorer should show a static figure instead of a live widget.

    static=True/False decides. Otherwise the environment variable BACKPROP_STATIC=1/0 decides,
    and without it: live when a Jupyter server started this kernel (it sets JPY_SESSION_NAME),
    static in headless runs such as the book build, where no front-end renders widgets.
    """
    if static is not None:
        return bool(static)
    flag = os.environ.get("BACKPROP_STATIC", "").strip()
    if flag in ("0", "1"):
        return flag == "1"
    return "JPY_SESSION_NAME" not in os.environ


def png_bytes(figure, dpi=100):
    """The figure rendered as PNG bytes (for an Image widget or a notebook output)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


class StaticFigure:
    """A figure that a notebook shows as a PNG, with a one-line text fallback."""

    def __init__(self, name, figure):
        self.name, self.figure = name, figure
        self.lang = getattr(figure, "lang", "en")

    def remake(self, lang):
        """The same static figure drawn in `lang` (for the Korean site)."""
        return StaticFigure(self.name, self.figure.remake(lang=lang))

    def describe(self, lang):
        """What the figure shows, in words (its figure's description)."""
        return self.figure.describe(lang)

    def _repr_png_(self):
        return png_bytes(self.figure)

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {}, figure_metadata(self)

    def __repr__(self):
        return _("{name}: a static figure (run the notebook in JupyterLab to change its numbers)",
                 self.lang).format(name=self.name)


class Explorer(widgets.VBox):
    """Controls above a picture and a caption; both are redrawn whenever a control changes.

    draw(**values) receives the controls' values by name and returns (figure, caption_html),
    or yields several such pairs to show a picture that grows (a loss curve during training).
    The picture is an <img> in an HTML widget, so that it carries its text alternative (alt): an
    ipywidgets Image has no alt, and its view fails when given a tooltip.
    """

    def __init__(self, name, controls, draw):
        image, caption = widgets.HTML(), widgets.HTML()
        super().__init__([widgets.HBox(list(controls.values()), layout={"flex_flow": "row wrap"}),
                          image, caption])
        self.name, self.controls, self.image, self.caption, self._draw = name, controls, image, caption, draw
        for control in controls.values():
            control.observe(self.redraw, names="value")
        self.redraw()

    def values(self):
        return {key: control.value for key, control in self.controls.items()}

    def redraw(self, change=None):
        frames = self._draw(**self.values())
        for figure, caption in [frames] if isinstance(frames, tuple) else frames:
            self.png = png_bytes(figure)
            alt = html.escape(described(figure, figure.lang)[0] or "", quote=True)
            # sent to the front-end at once, even mid-loop
            self.image.value = (f'<img class="explorer-picture" alt="{alt}" '
                                f'src="data:image/png;base64,{base64.b64encode(self.png).decode()}">')
            self.caption.value = caption

    def __repr__(self):
        return _("{name}: an interactive widget (needs a live Jupyter kernel)").format(name=self.name)


# The controls are number fields, each with a <label> that names it: reachable with Tab, operated with
# the arrow keys (Enter commits), with a visible focus and a name a screen reader says, in the learner's
# language. (ipywidgets' sliders give their handle no accessible name; in JupyterLab the arrow keys on a
# drop-down list move the notebook's cell selection instead.)
def number(description, value, low, high, step):
    """A number field from `low` to `high`: the arrow keys step it by `step`, or type a value."""
    field = widgets.BoundedIntText if all(isinstance(v, int) for v in (value, low, high, step)) else \
        widgets.BoundedFloatText
    return field(value=value, min=low, max=high, step=step, description=_(description), continuous_update=False,
                 style={"description_width": "initial"}, layout={"width": "16em"})


# --- the apple-orange graph (chapters 2-3) -------------------------------------------------

def graph_explorer(static=None):
    """Change the prices, the counts, the tax and the upstream gradient of the apple-orange graph."""
    if use_static(static):
        title = N_("price = (apple × apple num + orange × orange num) × tax")
        return StaticFigure("graph_explorer", draw.apple_orange_graph(title=title))

    def draw_graph(apple, apple_num, orange, orange_num, tax, dprice):
        g = draw.apple_orange(apple, apple_num, orange, orange_num, tax, dprice)
        v, d = g["values"], g["grads"]
        figure = draw.apple_orange_graph(apple, apple_num, orange, orange_num, tax, dprice)
        caption = _("price = {price:.4g}. Backward from &part;L/&part;price = {dprice:.4g}: "
                    "&part;L/&part;apple = apple num &times; tax &times; {dprice:.4g} = <b>{dapple:.4g}</b>, "
                    "&part;L/&part;tax = (apple price + orange price) &times; {dprice:.4g} = <b>{dtax:.4g}</b>"
                    ).format(price=v["price"], dprice=dprice, dapple=d["apple"], dtax=d["tax"])
        return figure, caption

    controls = {
        "apple": number(N_("apple"), 100.0, 0.0, 300.0, 10.0),
        "apple_num": number(N_("apple num"), 2, 0, 10, 1),
        "orange": number(N_("orange"), 150.0, 0.0, 300.0, 10.0),
        "orange_num": number(N_("orange num"), 3, 0, 10, 1),
        "tax": number(N_("tax"), 1.1, 1.0, 1.5, 0.05),
        "dprice": number(N_("upstream gradient ∂L/∂price"), 1.0, -2.0, 2.0, 0.1),
    }
    return Explorer("graph_explorer", controls, draw_graph)


# --- sigmoid (chapter 5) ----------------------------------------------------------------------

def sigmoid_point(x):
    """y = sigmoid(x) and its slope dy/dx = y (1 - y), from the library's Sigmoid layer."""
    layer = Sigmoid()
    y = layer.forward(np.array(float(x)))
    slope = layer.backward(np.array(1.0))  # dout = 1: backward returns the local gradient itself
    return {"x": float(x), "y": float(y), "slope": float(slope)}


@in_language
def sigmoid_figure(marked=(1.0,), lang=None):
    """The sigmoid curve with tangent lines at the marked x, and the slope curve y (1 - y) below."""
    u = np.linspace(-8, 8, 321)
    curve = [sigmoid_point(value) for value in u]
    figure = CourseFigure(figsize=(7.5, 4.6), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    top.plot(u, [p["y"] for p in curve], color="black", lw=1.5, label=r"$y = \sigma(x)$")
    bottom.plot(u, [p["slope"] for p in curve], color=GRAD_COLOR, lw=1.5,
                label=r"$\partial y / \partial x = y\,(1-y)$")
    for x in marked:
        p = sigmoid_point(x)
        span = np.linspace(x - 1.6, x + 1.6, 2)
        top.plot(span, p["y"] + p["slope"] * (span - x), color=GRAD_COLOR, lw=1.2)
        top.plot([x], [p["y"]], "o", color="black")
        top.annotate(_("slope {slope:.3f}", lang).format(slope=p["slope"]), (x, p["y"]), textcoords="offset points",
                     xytext=(8, -14), fontsize=9, color=GRAD_COLOR)
        bottom.plot([x], [p["slope"]], "o", color=GRAD_COLOR)
    top.set_ylim(-0.1, 1.1)
    bottom.set_ylim(0, 0.3)
    bottom.set_xlabel("x")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left")
    points = [sigmoid_point(x) for x in marked]
    figure.describe = lambda lang: (_(
        "Above, the sigmoid y = σ(x) for x from -8 to 8: an S-shaped curve rising from 0 to 1, with the "
        "tangent at each marked point; below, its slope y (1 - y), a bump that peaks at 0.25 at x = 0 and "
        "falls towards 0 on both sides. Marked: {points}.", lang).format(points="; ".join(
            _("x = {x:g}: y = {y:.3f}, slope {slope:.3f}", lang).format(**p) for p in points)), None)
    return figure


def sigmoid_explorer(static=None, x=1.0):
    """Move x: the point on the sigmoid, its tangent and its slope y (1 - y) follow."""
    if use_static(static):
        return StaticFigure("sigmoid_explorer", sigmoid_figure(marked=(-4.0, -1.5, 0.0, 1.5, 4.0)))

    def draw(x):
        p = sigmoid_point(x)
        caption = _("x = {x:.2f} &rarr; y = &sigma;(x) = {y:.4f}; "
                    "slope y(1 &minus; y) = {y:.4f} &times; {one_minus_y:.4f} = <b>{slope:.4f}</b>"
                    ).format(x=p["x"], y=p["y"], one_minus_y=1 - p["y"], slope=p["slope"])
        return sigmoid_figure(marked=(x,)), caption

    return Explorer("sigmoid_explorer", {"x": number("x", x, -8.0, 8.0, 0.1)}, draw)


# --- softmax with cross-entropy (chapter 7) ---------------------------------------------------

def softmax_panel(logits, label):
    """Probabilities y, one-hot t, loss and gradient y - t of one sample, from SoftmaxWithLoss.

    `label` is the index of the true class (0, 1, 2, ...); the figures call it class label + 1,
    as the text does ("the true class 3" is label 2).
    """
    logits = np.asarray(logits, dtype=np.float64)
    layer = SoftmaxWithLoss()
    loss = layer.forward(logits, np.array([label]))
    grad = layer.backward(1.0)  # a batch of one: (y - t) / 1
    y = layer.y[0]
    t = np.eye(len(logits))[label]
    return {"logits": logits, "label": int(label), "y": y, "t": t, "loss": float(loss), "grad": grad}


@in_language
def softmax_figure(cases, lang=None):
    """One row of bar charts (scores a, probabilities y, gradient y - t) per (logits, label) case."""
    figure = CourseFigure(figsize=(9, 2.6 * len(cases)), layout="constrained")
    axes = np.atleast_2d(figure.subplots(len(cases), 3))
    for row, (logits, label) in zip(axes, cases):
        p = softmax_panel(logits, label)
        classes = np.arange(len(p["y"]))
        colors = ["#2e86c1" if k == p["label"] else "#aab7b8" for k in classes]
        row[0].bar(classes, p["logits"], color=colors)
        row[0].set_title(_("scores a", lang))
        row[0].margins(y=0.2)
        row[1].bar(classes, p["y"], color=colors)
        row[1].set_ylim(0, 1.15)
        row[1].set_title(f"y = softmax(a);  L = {p['loss']:.3f}")
        row[2].bar(classes, p["grad"], color=[GRAD_COLOR if g < 0 else "#e59866" for g in p["grad"]])
        row[2].set_ylim(-1.15, 1.15)
        row[2].axhline(0, color="black", lw=0.8)
        row[2].set_title(r"$\partial L/\partial a = y - t$", color=GRAD_COLOR)
        for ax, values in zip(row, (p["logits"], p["y"], p["grad"])):
            ax.set_xticks(classes, [f"{k + 1}*" if k == p["label"] else str(k + 1) for k in classes])
            for k, v in zip(classes, values):
                ax.annotate(f"{v:.2f}", (k, v), ha="center", va="bottom" if v >= 0 else "top", fontsize=8)
    axes[-1, 0].set_xlabel(_("class k (* = the true class)", lang))
    figure.describe = lambda lang: (" ".join(_describe_softmax_case(softmax_panel(logits, label), lang)
                                             for logits, label in cases), None)
    return figure


def _describe_softmax_case(p, lang):
    numbers = lambda values: "(" + ", ".join(f"{v:.2f}" for v in values) + ")"  # noqa: E731
    return _("Bar charts for true class {label}: scores a = {scores}; probabilities y = softmax(a) = "
             "{probabilities}, loss L = {loss:.3f}; gradient y - t = {gradient}.", lang).format(
                label=p["label"] + 1, scores=numbers(p["logits"]), probabilities=numbers(p["y"]), loss=p["loss"],
                gradient=numbers(p["grad"]))


def softmax_explorer(static=None, logits=(0.3, 2.9, 4.0), label=2):
    """Move the scores and the true class: y, the loss and the gradient y - t follow.

    The default is the text's example (true class 3, label index 2); the static figure adds a
    confident wrong answer (true class 1, the scores favour class 2).
    """
    if use_static(static):
        return StaticFigure("softmax_explorer", softmax_figure([(logits, label), ((0.5, 5.0, 0.2), 0)]))

    def draw(a0, a1, a2, true_class):
        label = true_class - 1  # the text numbers classes from 1
        p = softmax_panel([a0, a1, a2], label)
        grad = ", ".join(f"{g:+.3f}" for g in p["grad"])
        caption = (f"L = &minus;log y<sub>{label + 1}</sub> = &minus;log {p['y'][label]:.4f} = "
                   f"<b>{p['loss']:.4f}</b>; y &minus; t = ({grad})")  # no words: the same in every language
        return softmax_figure([([a0, a1, a2], label)]), caption

    controls = {f"a{k}": number(f"a{k + 1}", float(value), -6.0, 6.0, 0.1) for k, value in enumerate(logits)}
    controls["true_class"] = number(N_("true class"), label + 1, 1, len(logits), 1)
    return Explorer("softmax_explorer", controls, draw)


# --- training playground (chapter 9) ---------------------------------------------------------

def playground_run(learning_rate=1.0, batch_size=30, hidden_size=50, iters_num=500, seed=0, chunks=1):
    """Train a TwoLayerNet on the spiral data; yield (network, losses so far) after each of `chunks` parts.

    The last item holds the fully trained network and the loss of every iteration.
    """
    x, t = make_spiral(seed=seed)
    network = TwoLayerNet(2, hidden_size, 3, weight_init_std=0.1, seed=seed)
    losses = []
    for part, iters in enumerate(np.diff(np.linspace(0, iters_num, chunks + 1).astype(int))):
        history = train(network, x, t, x, t, iters_num=int(iters), batch_size=batch_size,
                        learning_rate=learning_rate, seed=seed + part, progress=False)
        losses += history["loss"]
        yield network, losses


def _decision_regions(ax, network, x, t):
    grid = np.linspace(-1.2, 1.2, 121)
    gx, gy = np.meshgrid(grid, grid)
    predicted = np.argmax(network.predict(np.column_stack([gx.ravel(), gy.ravel()])), axis=1)
    ax.contourf(gx, gy, predicted.reshape(gx.shape), levels=[-0.5, 0.5, 1.5, 2.5],
                colors=["#aed6f1", "#f9e79f", "#f5b7b1"])
    ax.scatter(x[:, 0], x[:, 1], c=np.array(["#1f618d", "#b7950b", "#922b21"])[t], s=8)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


@in_language
def playground_figure(runs, network, iters_num, learning_rate, lang=None):
    """Loss curves of several runs {learning rate: losses} beside the class regions that `network` predicts.

    `network` is the one trained with `learning_rate`; the title of its panel says so.
    """
    x, t = make_spiral()
    figure = CourseFigure(figsize=(9, 3.8), layout="constrained")
    left, right = figure.subplots(1, 2, width_ratios=[1.4, 1])
    for lr, losses in runs.items():
        label = _("learning rate {learning_rate:g}", lang).format(learning_rate=lr)
        line, = left.plot(losses, lw=0.8, alpha=0.35)
        window = min(20, len(losses))  # a moving average shows the trend through the minibatch noise
        smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
        left.plot(np.arange(window - 1, len(losses)), smooth, lw=1.8, color=line.get_color(), label=label)
    left.set_xlim(0, iters_num)
    left.set_ylim(0, 2.5)  # a diverging run leaves the top: that is the message
    left.set_xlabel(_("iteration", lang))
    left.set_ylabel(_("minibatch loss (line: average of 20)", lang))
    left.grid(alpha=0.3)
    left.legend()
    _decision_regions(right, network, x, t)
    accuracy = network.accuracy(x, t)
    right.set_title(_("learning rate {learning_rate:g}: the regions it predicts\n"
                      "({accuracy:.0%} of the {count} points right)", lang).format(
                        learning_rate=learning_rate, accuracy=accuracy, count=len(x)), fontsize=10)

    def describe(lang):
        def average(values):
            return float(np.mean(values[:20])), float(np.mean(values[-20:]))
        runs_in_words = [_("learning rate {learning_rate:g}: loss {start:.2f} at the start, {end:.2f} after "
                           "{iterations} iterations (averages of 20)", lang).format(
                               learning_rate=lr, start=average(losses)[0], end=average(losses)[1],
                               iterations=len(losses)) for lr, losses in runs.items()]
        alt = _("Training on the spiral of three classes: the minibatch loss against the iteration for "
                "learning rates {rates}, and the three regions that the network trained with learning rate "
                "{learning_rate:g} predicts: {accuracy:.0%} of the {count} points right.", lang).format(
                    rates=listing([f"{lr:g}" for lr in runs], lang), learning_rate=learning_rate,
                    accuracy=accuracy, count=len(x))
        return alt, "; ".join(runs_in_words) + "."
    figure.describe = describe
    return figure


def training_playground(static=None, learning_rate=1.0, batch_size=30, hidden_size=50, iters_num=500):
    """Choose a learning rate, batch size and hidden size; watch the loss fall and the regions form."""
    if use_static(static):
        runs, networks = {}, {}
        for lr in sorted({0.1, learning_rate, 10.0}):
            *_parts, (networks[lr], runs[lr]) = playground_run(lr, batch_size, hidden_size, iters_num)
        figure = playground_figure(runs, networks[learning_rate], iters_num, learning_rate)
        return StaticFigure("training_playground", figure)

    def draw_run(learning_rate, batch_size, hidden_size, iters_num):
        x, t = make_spiral()
        for network, losses in playground_run(learning_rate, batch_size, hidden_size, iters_num, chunks=5):
            accuracy = network.accuracy(x, t)
            caption = _("iteration {iteration} of {iters_num}: loss {loss:.3f}, "
                        "accuracy on the {count} points <b>{accuracy:.1%}</b>").format(
                            iteration=len(losses), iters_num=iters_num, loss=losses[-1], count=len(x),
                            accuracy=accuracy)
            runs = {learning_rate: losses}
            yield playground_figure(runs, network, iters_num, learning_rate), caption

    controls = {"learning_rate": number(N_("learning rate"), float(learning_rate), 0.01, 10.0, 0.1),
                "batch_size": number(N_("batch size"), batch_size, 1, 300, 10),
                "hidden_size": number(N_("hidden size"), hidden_size, 1, 200, 5),
                "iters_num": number(N_("iterations"), iters_num, 10, 3000, 100)}
    return Explorer("training_playground", controls, draw_run)
