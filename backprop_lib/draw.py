"""Computational-graph figures in the style of the printed notes (chapters 1-7).

A graph is a dict of named nodes and a list of edges. Each edge carries its forward
value, written ABOVE the edge in black, and its gradient, written BELOW a backward
arrow in red::

    nodes = {"apple": Node("apple", (0, 0), kind="input"),
             "mul": Node("×", (2, 0)),
             "price": Node("price", (4, 0), kind="output")}
    edges = [Edge("apple", "mul", value=100, grad=1.1),
             Edge("mul", "price", value=110, grad=1)]
    fig = draw_graph(nodes, edges, title="one multiplication")

Node kinds: "op" (a circle with the operation: ×, +, exp, dot ...), "box" (a rounded
box, for a whole layer such as Softmax), "input" / "output" (a plain label), "point"
(a small dot where an edge forks). Coordinates are in "grid units": about one inch
of figure per unit, so a graph 6 units wide fits the width of the book.

The ready-made graphs of the course (`apple_graph`, `mul_node_graph`, `sigmoid_graph`,
...) COMPUTE every value and gradient by running backprop_lib's own layers, so a
figure can never disagree with the library.

Words (labels, titles) are drawn in the learner's language, or in `lang="ko"`/`"en"`: draw_graph
looks every label up in the catalogue (backprop_lib/language.py), numbers and math stay as they are.
"""
import io
from dataclasses import dataclass

import numpy as np
from matplotlib.transforms import Bbox
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from .figures import CourseFigure, in_language, listing, spoken
from .functions import softmax
from .language import N_, Message, _, translated
from .layers import Affine, MatMul, Sigmoid, SoftmaxWithLoss
from .nodes import AddLayer, Branch, MulLayer, Repeat, Sum

VALUE_COLOR = "black"
GRAD_COLOR = "#d62728"  # the red of the notes' backward arrows
NODE_KINDS = ("op", "box", "input", "output", "point")
_RADIUS = 0.27      # circle radius, grid units
_GAP = 0.06         # space between an edge's end and its node
_GRAD_OFFSET = 0.16  # distance of the backward arrow below the forward arrow
_LABEL_OFFSET = 0.07  # distance of a value or gradient label from its arrow


@dataclass(frozen=True)
class Node:
    """A node of the graph: `label` drawn at `xy` (grid units), in the style `kind`."""

    label: str
    xy: tuple
    kind: str = "op"
    size: tuple = None  # (width, height) of a "box"; None: just big enough for the label


@dataclass(frozen=True)
class Edge:
    """An edge from node `src` to node `dst`.

    `value` is written above the edge, `grad` below a backward arrow (None: not drawn).
    Numbers are formatted with `format_value`; strings (also mathtext "$...$") are kept.
    The drawn labels are Text objects with gid "value" or "grad" (handy in tests).
    `at` moves both labels along the edge (0 = at src, 1 = at dst).
    `port` = (dx, dy) moves the end of the edge on a "box" node away from the box's centre,
    so that several parallel edges can enter one tall box.
    """

    src: str
    dst: str
    value: object = None
    grad: object = None
    at: float = 0.5
    port: tuple = (0, 0)


class GraphFigure(CourseFigure):
    """A Figure that shows itself as a PNG in a notebook and in the book, without pyplot."""

    def _repr_png_(self):
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=100, facecolor="white", metadata={"Software": None})
        return buffer.getvalue()


def format_value(v):
    """A short, exact-looking label: 220.00000000000003 -> '220', 2.2000000000000002 -> '2.2'."""
    if v is None or isinstance(v, str):
        return v
    a = np.asarray(v)
    if a.ndim == 0:
        x = a.item()
        if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
            return str(x)
        s = f"{x:.4g}"
        return "0" if s == "-0" else s
    if a.size <= 4:
        return "[" + ", ".join(format_value(x) for x in a.ravel()) + "]"
    return str(a.shape)


# ----------------------------------------------------------------------------- drawing


def _check_graph(nodes, edges):
    if not isinstance(nodes, dict) or not nodes:
        raise ValueError(f"nodes must be a non-empty dict name -> Node; found {type(nodes).__name__} {nodes!r:.80}")
    for name, node in nodes.items():
        if not isinstance(node, Node):
            raise TypeError(f"node {name!r} must be a Node; found {type(node).__name__}")
        if node.kind not in NODE_KINDS:
            raise ValueError(f"node {name!r} has kind {node.kind!r}; expected one of {NODE_KINDS}")
        if np.shape(node.xy) != (2,):
            raise ValueError(f"node {name!r} needs xy = (x, y); found {node.xy!r}")
    for edge in edges:
        if not isinstance(edge, Edge):
            raise TypeError(f"edges must be Edge objects; found {type(edge).__name__} {edge!r:.80}")
        for end in (edge.src, edge.dst):
            if end not in nodes:
                raise ValueError(
                    f"edge {edge.src!r} -> {edge.dst!r} refers to the unknown node {end!r}; "
                    f"known nodes: {', '.join(map(repr, nodes))}"
                )
        if np.allclose(nodes[edge.src].xy, nodes[edge.dst].xy):
            raise ValueError(f"edge {edge.src!r} -> {edge.dst!r} joins two nodes at the same place {nodes[edge.src].xy}")


def _new_axes(nodes):
    """A figure in which one grid unit is about one inch (less for graphs wider than 9 units)."""
    xy = np.array([n.xy for n in nodes.values()], dtype=float)
    (x0, y0), (x1, y1) = xy.min(axis=0) - (0.9, 0.6), xy.max(axis=0) + (0.9, 0.6)
    inch = min(1.0, 9.0 / (x1 - x0))  # so that figures stay within the width of the book
    fig = GraphFigure(figsize=((x1 - x0) * inch, (y1 - y0) * inch))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    return fig, ax, inch


def _crop_to_drawing(fig, ax, inch, title):
    """Shrink the figure to what was drawn, keeping the scale, plus room for a title."""
    box = Bbox.union([a.get_window_extent() for a in ax.texts + ax.patches])
    box = box.transformed(ax.transData.inverted())
    (x0, y0), (x1, y1) = box.min - 0.12, box.max + 0.12
    title_height = 0.4 if title else 0.0  # inches
    width, height = (x1 - x0) * inch, (y1 - y0) * inch
    fig.set_size_inches(round(width, 2), round(height + title_height, 2))
    ax.set_position((0, 0, 1, height / (height + title_height)))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)


def _text_half_size(ax, text):
    """Half width and half height of a drawn text, in data units."""
    box = text.get_window_extent().transformed(ax.transData.inverted())
    return box.width / 2, box.height / 2


def _words(text, lang):
    """A label or title in `lang`: the catalogue's translation (a Message's, with its fields), or the
    text itself (math, numbers)."""
    return translated(text, lang) if isinstance(text, str) and text else text


def _draw_node(ax, node, lang):
    """Draw one node; return its half size (w, h) or its radius, for clipping edges."""
    x, y = node.xy
    label = node.label if node.kind == "op" else _words(node.label, lang)  # ×, exp, sum: operations' names
    if node.kind == "point":
        ax.add_patch(Circle(node.xy, 0.04, color="black", zorder=3, clip_on=False))
        return ("circle", 0.04)
    if node.kind == "op":
        size = 15 if len(label) <= 2 else 12 if len(label) <= 4 else 11
        text = ax.text(x, y, label, ha="center", va="center", fontsize=size, zorder=4)
        radius = max(_RADIUS, _text_half_size(ax, text)[0] + 0.08)  # long labels get a bigger circle
        ax.add_patch(Circle(node.xy, radius, facecolor="white", edgecolor="black", lw=1.5,
                            zorder=3, clip_on=False))
        return ("circle", radius)
    weight = "bold" if node.kind == "box" else "normal"
    text = ax.text(x, y, label, ha="center", va="center", fontsize=12, zorder=4, fontweight=weight)
    w, h = _text_half_size(ax, text)
    if node.kind == "box":
        w, h = (w + 0.15, h + 0.15) if node.size is None else (node.size[0] / 2, node.size[1] / 2)
        ax.add_patch(FancyBboxPatch((x - w, y - h), 2 * w, 2 * h, boxstyle="round,pad=0,rounding_size=0.08",
                                    facecolor="#f2f2f2", edgecolor="black", lw=1.5, zorder=3, clip_on=False))
    return ("box", (w, h))


def _distance_to_border(outline, u):
    """How far from a node's centre its border is, going in unit direction u."""
    shape, size = outline
    if shape == "circle":
        return size + _GAP
    w, h = size
    along_x = w / abs(u[0]) if abs(u[0]) > 1e-9 else np.inf
    along_y = h / abs(u[1]) if abs(u[1]) > 1e-9 else np.inf
    return min(along_x, along_y) + _GAP


def _label_alignment(n):
    """Text alignment that keeps a label on the side of the edge that normal n points to."""
    ha = "right" if n[0] < -0.3 else "left" if n[0] > 0.3 else "center"
    va = "bottom" if n[1] > 0.3 else "top" if n[1] < -0.3 else "center"
    return {"ha": ha, "va": va}


def _draw_edge(ax, edge, p0, p1, show_grads, lang):
    u = (p1 - p0) / np.linalg.norm(p1 - p0)
    n = np.array([-u[1], u[0]])  # normal on the left of the direction of travel
    if n[1] < -1e-9 or (abs(n[1]) <= 1e-9 and n[0] > 0):
        n = -n  # "above" means up, or left for vertical edges
    ax.add_patch(FancyArrowPatch(p0, p1, arrowstyle="-|>", mutation_scale=13, lw=1.3, color=VALUE_COLOR,
                                 shrinkA=0, shrinkB=0, zorder=2, clip_on=False))
    mid = p0 + edge.at * (p1 - p0)
    if edge.value is not None:
        ax.text(*(mid + _LABEL_OFFSET * n), _words(format_value(edge.value), lang), color=VALUE_COLOR, fontsize=11,
                zorder=5, gid="value", **_label_alignment(n))
    if show_grads and edge.grad is not None:
        trim = min(0.12, 0.15 * np.linalg.norm(p1 - p0))
        back0, back1 = p1 - trim * u - _GRAD_OFFSET * n, p0 + trim * u - _GRAD_OFFSET * n
        ax.add_patch(FancyArrowPatch(back0, back1, arrowstyle="-|>", mutation_scale=13, lw=1.3,
                                     color=GRAD_COLOR, shrinkA=0, shrinkB=0, zorder=2, clip_on=False))
        ax.text(*(mid - (_GRAD_OFFSET + _LABEL_OFFSET) * n), _words(format_value(edge.grad), lang), color=GRAD_COLOR,
                fontsize=11, zorder=5, gid="grad", **_label_alignment(-n))


@in_language
def draw_graph(nodes, edges, *, title=None, ax=None, show_grads=True, lang=None):
    """Draw a computational graph; return the matplotlib Figure.

    nodes: dict name -> Node; edges: list of Edge (value above, gradient below in red).
    ax: draw into an existing Axes (e.g. one panel of a figure); by default a new Figure
    sized to the graph is made (it is not registered with pyplot: show it by making it
    the last expression of a notebook cell, or save it with fig.savefig).
    show_grads=False draws the forward pass only. lang: "en" or "ko" (default: the learner's
    language); labels and the title that the catalogue knows are drawn in that language.
    Raises ValueError for an edge to an unknown node, an unknown kind or a bad position.
    """
    _check_graph(nodes, edges)
    new_figure = ax is None
    if new_figure:
        fig, ax, inch = _new_axes(nodes)
    else:
        fig = ax.figure
        xy = np.array([n.xy for n in nodes.values()], dtype=float)
        ax.set_xlim(xy[:, 0].min() - 0.9, xy[:, 0].max() + 0.9)
        ax.set_ylim(xy[:, 1].min() - 0.6, xy[:, 1].max() + 0.6)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_axis_off()
    ax.apply_aspect()
    outlines = {name: _draw_node(ax, node, lang) for name, node in nodes.items()}
    for edge in edges:
        c0, c1 = (np.asarray(nodes[end].xy, dtype=float) + (edge.port if nodes[end].kind == "box" else 0)
                  for end in (edge.src, edge.dst))
        u = (c1 - c0) / np.linalg.norm(c1 - c0)
        p0 = c0 + _distance_to_border(outlines[edge.src], u) * u
        p1 = c1 - _distance_to_border(outlines[edge.dst], -u) * u
        _draw_edge(ax, edge, p0, p1, show_grads, lang)
    if new_figure:
        _crop_to_drawing(fig, ax, inch, title)
        fig.describe = lambda lang: (describe_graph(nodes, edges, title, show_grads, lang), None)
    if title:
        ax.set_title(_words(title, lang), fontsize=12)
    return fig


# ------------------------------------------------------------------ the graph in words


def _node_name(node, lang):
    """How a description names a node: an operation by its symbol, the rest by their (translated) label."""
    if node.kind == "op":
        return _("{operation} node", lang).format(operation=spoken(node.label))
    if node.kind == "point":
        return _("branch point", lang)
    return spoken(_words(node.label, lang))


def _edge_words(edge, name, show_grads, lang):
    """One edge as "apple 100 (gradient 2.2)": its name (or none), its value, its gradient."""
    value = spoken(_words(format_value(edge.value), lang)) if edge.value is not None else None
    if name and value and str(value).startswith(name):
        name = None  # a symbolic value names itself: "X (1, 2)", not "X X (1, 2)"
    words = " ".join(str(part) for part in (name, value) if part) or _("an edge", lang)
    if show_grads and edge.grad is not None:
        words += " " + _("(gradient {grad})", lang).format(grad=spoken(_words(format_value(edge.grad), lang)))
    return words


def describe_graph(nodes, edges, title, show_grads, lang):
    """The graph in words, node by node: what flows in and out of each operation, with its gradient.

    "× node: in apple 100 (gradient 2.2), apple num 2 (gradient 110); out 200 (gradient 1.1)."
    Inputs and outputs are named by their labels; an edge between two operations by its value.
    """
    sentences = [spoken(_words(title, lang)) + "." if title else "",
                 _("A computational graph: values above the edges, gradients below them in red, "
                   "flowing back.", lang) if show_grads else
                 _("A computational graph: values above the edges.", lang)]
    for key, node in nodes.items():
        if node.kind in ("input", "output"):
            continue
        ins = [_edge_words(e, spoken(_words(nodes[e.src].label, lang)) if nodes[e.src].kind == "input" else "",
                           show_grads, lang) for e in edges if e.dst == key]
        outs = [_edge_words(e, spoken(_words(nodes[e.dst].label, lang)) if nodes[e.dst].kind == "output" else "",
                            show_grads, lang) for e in edges if e.src == key]
        sentences.append(_("{node}: in {inputs}; out {outputs}.", lang).format(
            node=_node_name(node, lang), inputs=listing(ins, lang) or "-", outputs=listing(outs, lang) or "-"))
    return " ".join(s for s in sentences if s)


# ----------------------------------------------------------------- the course's graphs
# Every number below comes from running the library's layers; nothing is typed in.


def _inputs_and_output(op_label, x_value, y_value, z_value, dx, dy, dout, **draw_kwargs):
    """The two-input node figure of chapter 3: x, y -> (op) -> z."""
    nodes = {"x": Node("x", (0, 0.8), "input"), "y": Node("y", (0, -0.8), "input"),
             "op": Node(op_label, (2, 0)), "z": Node("z", (4, 0), "output")}
    edges = [Edge("x", "op", x_value, dx), Edge("y", "op", y_value, dy), Edge("op", "z", z_value, dout)]
    return draw_graph(nodes, edges, **draw_kwargs)


def add_node_graph(x=10, y=5, dout=1.3, **draw_kwargs):
    """z = x + y with AddLayer: the upstream gradient passes through unchanged."""
    layer = AddLayer()
    z = layer.forward(x, y)
    dx, dy = layer.backward(dout)
    return _inputs_and_output("+", x, y, z, dx, dy, dout, **draw_kwargs)


def mul_node_graph(x=10, y=5, dout=1.3, **draw_kwargs):
    """z = x * y with MulLayer: each input gets the upstream gradient times the OTHER input."""
    layer = MulLayer()
    z = layer.forward(x, y)
    dx, dy = layer.backward(dout)
    return _inputs_and_output("×", x, y, z, dx, dy, dout, **draw_kwargs)


def apple_graph(apple=100, apple_num=2, tax=1.1, dprice=1, **draw_kwargs):
    """Buying apples: price = apple * apple_num * tax, with two MulLayers (chapters 1-2)."""
    mul_apple, mul_tax = MulLayer(), MulLayer()
    apple_price = mul_apple.forward(apple, apple_num)
    price = mul_tax.forward(apple_price, tax)
    dapple_price, dtax = mul_tax.backward(dprice)
    dapple, dapple_num = mul_apple.backward(dapple_price)
    nodes = {"apple": Node(N_("apple"), (0, 0), "input"), "apple_num": Node(N_("apple num"), (0.9, -1.5), "input"),
             "mul_apple": Node("×", (2, 0)), "tax": Node(N_("tax"), (3.3, -1.5), "input"),
             "mul_tax": Node("×", (4.2, 0)), "price": Node(N_("price"), (6, 0), "output")}
    edges = [Edge("apple", "mul_apple", apple, dapple), Edge("apple_num", "mul_apple", apple_num, dapple_num),
             Edge("mul_apple", "mul_tax", apple_price, dapple_price), Edge("tax", "mul_tax", tax, dtax),
             Edge("mul_tax", "price", price, dprice)]
    return draw_graph(nodes, edges, **draw_kwargs)


def apple_orange(apple=100.0, apple_num=2.0, orange=150.0, orange_num=3.0, tax=1.1, upstream_grad=1.0):
    """Forward and backward through the notes' shopping graph, with the library's nodes.

    price = (apple * apple_num + orange * orange_num) * tax. Returns {"values": ..., "grads": ...},
    each keyed by edge name: the forward value on that edge and dL/d(edge) for dL/dprice = upstream_grad.
    """
    mul_apple, mul_orange, add, mul_tax = MulLayer(), MulLayer(), AddLayer(), MulLayer()
    apple_price = mul_apple.forward(apple, apple_num)
    orange_price = mul_orange.forward(orange, orange_num)
    total = add.forward(apple_price, orange_price)
    price = mul_tax.forward(total, tax)

    dtotal, dtax = mul_tax.backward(upstream_grad)
    dapple_price, dorange_price = add.backward(dtotal)
    dapple, dapple_num = mul_apple.backward(dapple_price)
    dorange, dorange_num = mul_orange.backward(dorange_price)
    values = dict(apple=apple, apple_num=apple_num, orange=orange, orange_num=orange_num, tax=tax,
                  apple_price=apple_price, orange_price=orange_price, total=total, price=price)
    grads = dict(apple=dapple, apple_num=dapple_num, orange=dorange, orange_num=dorange_num, tax=dtax,
                 apple_price=dapple_price, orange_price=dorange_price, total=dtotal, price=upstream_grad)
    return {"values": values, "grads": grads}


def apple_orange_graph(apple=100, apple_num=2, orange=150, orange_num=3, tax=1.1, dprice=1, **draw_kwargs):
    """Apples and oranges: (apple*apple_num + orange*orange_num) * tax (chapters 1 and 3)."""
    g = apple_orange(apple, apple_num, orange, orange_num, tax, dprice)
    v, d = g["values"], g["grads"]
    nodes = {"apple": Node(N_("apple"), (0, 1.3), "input"),
             "apple_num": Node(N_("apple num"), (0.9, 0.0), "input"),
             "orange": Node(N_("orange"), (0, -0.6), "input"),
             "orange_num": Node(N_("orange num"), (0.9, -2.0), "input"),
             "mul_apple": Node("×", (2, 1.3)), "mul_orange": Node("×", (2, -0.6)), "add": Node("+", (3.8, 0.3)),
             "tax": Node(N_("tax"), (5.1, -1.3), "input"), "mul_tax": Node("×", (5.8, 0.3)),
             "price": Node(N_("price"), (7.5, 0.3), "output")}
    edge = {"mul_apple": "apple_price", "mul_orange": "orange_price", "add": "total", "mul_tax": "price"}
    pairs = [("apple", "mul_apple"), ("apple_num", "mul_apple"), ("orange", "mul_orange"),
             ("orange_num", "mul_orange"), ("mul_apple", "add"), ("mul_orange", "add"), ("add", "mul_tax"),
             ("tax", "mul_tax"), ("mul_tax", "price")]
    # the edge leaving a node carries that node's output, named as in apple_orange()
    edges = [Edge(src, dst, v[edge.get(src, src)], d[edge.get(src, src)]) for src, dst in pairs]
    return draw_graph(nodes, edges, **draw_kwargs)


def chain_rule_graph(x=None, y=None, dz=1, **draw_kwargs):
    """z = t**2, t = x + y (chapter 2). Without numbers the labels are the chain-rule factors."""
    if x is None or y is None:
        d = r"\dfrac{\partial z}{\partial %s}"
        values = dict(x="$x$", y="$y$", t="$t$", z="$z$")
        grads = dict(z=f"${d % 'z'}$", t=f"${d % 'z'}{d % 't'}$",
                     x=rf"${d % 'z'}{d % 't'}\dfrac{{\partial t}}{{\partial x}}$",
                     y=rf"${d % 'z'}{d % 't'}\dfrac{{\partial t}}{{\partial y}}$")
    else:
        add, square, copy = AddLayer(), MulLayer(), Branch(2)
        t = add.forward(x, y)
        z = square.forward(*copy.forward(t))  # t**2 as t * t: the two copies' gradients add up
        dt = copy.backward(*square.backward(dz))
        dx, dy = add.backward(dt)
        values, grads = dict(x=x, y=y, t=t, z=z), dict(x=dx, y=dy, t=dt, z=dz)
    nodes = {"x": Node("x", (0, 1.0), "input"), "y": Node("y", (0, -1.0), "input"), "add": Node("+", (1.8, 0)),
             "square": Node("**2", (3.8, 0)), "z": Node("z", (5.6, 0), "output")}
    edges = [Edge("x", "add", values["x"], grads["x"]), Edge("y", "add", values["y"], grads["y"]),
             Edge("add", "square", values["t"], grads["t"]), Edge("square", "z", values["z"], grads["z"])]
    return draw_graph(nodes, edges, **draw_kwargs)


def repeat_graph(x=2.0, douts=(1.3, 0.5, -0.2), **draw_kwargs):
    """The copy (repeat) node of chapter 3: one input copied N times; backward SUMS the gradients."""
    layer = Repeat(axis=0, repeats=len(douts))
    ys = layer.forward(np.array([x]))
    dx = layer.backward(np.array(douts)).item()
    n = len(douts)
    nodes = {"x": Node("x", (0, 0), "input"), "repeat": Node("repeat", (1.8, 0))}
    edges = [Edge("x", "repeat", x, dx)]
    for i, (y, dy) in enumerate(zip(ys, douts)):
        name = f"y{i + 1}"
        nodes[name] = Node(f"$y_{i + 1}$", (3.8, (n - 1) / 2 * 1.1 - 1.1 * i), "output")
        edges.append(Edge("repeat", name, y, dy, at=0.6))
    return draw_graph(nodes, edges, **draw_kwargs)


def sum_graph(xs=(1.0, 2.0, 3.0), dout=1.3, **draw_kwargs):
    """The sum node of chapter 3: N inputs added up; backward COPIES the gradient to each input."""
    layer = Sum(axis=0)
    y = layer.forward(np.array(xs)).item()
    dxs = layer.backward(np.array([dout]))
    n = len(xs)
    nodes = {"sum": Node("sum", (2, 0)), "y": Node("y", (3.8, 0), "output")}
    edges = []
    for i, (x, dx) in enumerate(zip(xs, dxs)):
        name = f"x{i + 1}"
        nodes[name] = Node(f"$x_{i + 1}$", (0, (n - 1) / 2 * 1.1 - 1.1 * i), "input")
        edges.append(Edge(name, "sum", x, dx, at=0.4))
    edges.append(Edge("sum", "y", y, dout))
    return draw_graph(nodes, edges, **draw_kwargs)


@in_language
def branch_graph(x=2.0, douts=(1.3, 0.5), lang=None, **draw_kwargs):
    """A branch: one value used by several later nodes; backward ADDS the gradients that come back."""
    layer = Branch(len(douts))
    ys = layer.forward(x)
    dx = layer.backward(*douts)
    n = len(douts)
    nodes = {"x": Node("x", (0, 0), "input"), "fork": Node("", (1.6, 0), "point")}
    edges = [Edge("x", "fork", x, dx)]
    for i, (y, dy) in enumerate(zip(ys, douts)):
        name = f"y{i + 1}"
        label = Message(N_("to node {number}"), number=i + 1)  # drawn, and described, in any language
        nodes[name] = Node(label, (3.6, (n - 1) / 2 * 1.8 - 1.8 * i), "output")
        edges.append(Edge("fork", name, y, dy, at=0.6))
    return draw_graph(nodes, edges, lang=lang, **draw_kwargs)


def sigmoid_graph(x=None, dout=1.0, **draw_kwargs):
    """y = 1 / (1 + exp(-x)) as four nodes: ×(-1), exp, +1, / (chapter 5).

    With a number x, each node's gradient is computed step by step and checked against
    the library's Sigmoid layer, which uses the shortcut dy/dx = y (1 - y).
    """
    if x is None:
        up = r"\dfrac{\partial L}{\partial y}"
        values = ["$x$", None, "$-x$", r"$\exp(-x)$", None, r"$1+\exp(-x)$", "$y$"]
        grads = [rf"${up}y^2\exp(-x)$", None, rf"$-{up}y^2\exp(-x)$", rf"$-{up}y^2$", None,
                 rf"$-{up}y^2$", f"${up}$"]
    else:
        negate, add_one = MulLayer(), AddLayer()
        a = negate.forward(x, -1)
        e = np.exp(a)
        s = add_one.forward(e, 1)
        y = 1 / s
        ds = dout * (-1 / s**2)  # d(1/s)/ds = -1/s**2 = -y**2
        de, _d_one = add_one.backward(ds)  # (not `_`: that is the translation function here)
        da = de * e  # d exp(a)/da = exp(a)
        dx, _d_minus_one = negate.backward(da)
        layer = Sigmoid()
        layer.forward(np.array(x, dtype=float))
        if not np.isclose(dx, layer.backward(np.array(dout, dtype=float))):
            raise AssertionError("the step-by-step sigmoid gradient disagrees with Sigmoid.backward")
        values, grads = [x, None, a, e, None, s, y], [dx, None, da, de, None, ds, dout]  # constants: no label
    nodes = {"x": Node("x", (0, 0), "input"), "neg": Node("×", (1.8, 0)), "m1": Node("-1", (1.8, -1.2), "input"),
             "exp": Node("exp", (3.8, 0)), "add": Node("+", (5.8, 0)), "one": Node("1", (5.8, -1.2), "input"),
             "div": Node("/", (7.8, 0)), "y": Node("y", (9.4, 0), "output")}
    ends = [("x", "neg"), ("m1", "neg"), ("neg", "exp"), ("exp", "add"), ("one", "add"), ("add", "div"),
            ("div", "y")]
    edges = [Edge(a_, b_, v, g) for (a_, b_), v, g in zip(ends, values, grads)]
    return draw_graph(nodes, edges, **draw_kwargs)


def softmax_with_loss_graph(a=(0.3, 2.9, 4.0), t=(0, 0, 1), **draw_kwargs):
    """Softmax then cross-entropy (chapter 7): the gradient that reaches the scores a is y - t.

    Values come from SoftmaxWithLoss on one sample; the gradient on each y_k is -t_k / y_k.
    """
    a, t = np.asarray(a, dtype=float), np.asarray(t, dtype=float)
    layer = SoftmaxWithLoss()
    loss = layer.forward(a, t)
    da = layer.backward(1.0)  # y - t for a batch of one
    y = softmax(a)
    dy = -t / y  # derivative of -sum t_k log y_k
    n, gap = len(a), 1.0
    rows = [(n - 1) / 2 * gap - gap * k for k in range(n)]
    nodes = {"softmax": Node("Softmax", (2, 0), "box", size=(1.1, n * gap)),
             "cee": Node(N_("Cross\nEntropy\nError"), (5.2, 0), "box", size=(1.3, n * gap)),
             "L": Node("L", (7, 0), "output")}
    edges = []
    for k, row in enumerate(rows):
        nodes[f"a{k}"] = Node(f"$a_{k + 1}$", (0, row), "input")
        nodes[f"t{k}"] = Node(f"$t_{k + 1}$", (5.2 + (k - (n - 1) / 2) * 0.4, -(n * gap) / 2 - 1.0), "input")
        edges += [Edge(f"a{k}", "softmax", a[k], da[k], port=(0, row)),
                  Edge("softmax", "cee", y[k], dy[k], port=(0, row)),
                  Edge(f"t{k}", "cee", t[k], None, port=((k - (n - 1) / 2) * 0.4, 0))]
    edges.append(Edge("cee", "L", loss, 1))
    return draw_graph(nodes, edges, **draw_kwargs)


def _shape(name, array):
    return f"${name}$ {tuple(np.shape(array))}"


def _grad_shape(name, array):
    return rf"$\dfrac{{\partial L}}{{\partial {name}}}$ {tuple(np.shape(array))}"


def matmul_graph(x, W, dout=None, **draw_kwargs):
    """The matrix-product node Y = X W (chapter 4), labelled with the shapes of a real run.

    The gradients' shapes come from MatMul.backward: dX has the shape of X, dW that of W.
    """
    layer = MatMul(np.asarray(W, dtype=float))
    y = layer.forward(np.asarray(x, dtype=float))
    dx = layer.backward(np.ones_like(y) if dout is None else np.asarray(dout, dtype=float))
    nodes = {"X": Node("X", (0, 1.1), "input"), "W": Node("W", (0, -1.1), "input"),
             "dot": Node("dot", (2.4, 0)), "Y": Node("Y", (4.6, 0), "output")}
    edges = [Edge("X", "dot", _shape("X", x), _grad_shape("X", dx)),
             Edge("W", "dot", _shape("W", W), _grad_shape("W", layer.dW)),
             Edge("dot", "Y", _shape("Y", y), _grad_shape("Y", y))]
    return draw_graph(nodes, edges, **draw_kwargs)


def affine_graph(x, W, b, **draw_kwargs):
    """The batched Affine layer Y = X W + B as a dot node and a + node (chapter 6), with shapes.

    The shapes come from a real run of Affine; dB has the shape of B because it sums over the batch.
    """
    layer = Affine(np.asarray(W, dtype=float), np.asarray(b, dtype=float))
    y = layer.forward(np.asarray(x, dtype=float))
    dx = layer.backward(np.ones_like(y))
    nodes = {"X": Node("X", (0, 1.1), "input"), "W": Node("W", (0, -1.1), "input"),
             "dot": Node("dot", (2.4, 0)), "B": Node("B", (3.6, -1.5), "input"),
             "add": Node("+", (4.8, 0)), "Y": Node("Y", (6.8, 0), "output")}
    edges = [Edge("X", "dot", _shape("X", x), _grad_shape("X", dx)),
             Edge("W", "dot", _shape("W", W), _grad_shape("W", layer.dW)),
             Edge("dot", "add", _shape(r"X \cdot W", y), _grad_shape("Y", y)),
             Edge("B", "add", _shape("B", b), _grad_shape("B", layer.db)),
             Edge("add", "Y", _shape("Y", y), _grad_shape("Y", y))]
    return draw_graph(nodes, edges, **draw_kwargs)


# Words that the chapters' own graphs give draw_graph (labels, values, titles), listed here so that
# the catalogue has them: a learner working in Korean, and the Korean site, see them in Korean.
CHAPTER_WORDS = (
    N_("other items\n(a complicated graph)"), N_("total"),  # chapter 1
    N_(r"local gradient LG = $\partial y / \partial x$"),  # chapter 2
    N_("to $y_1$"), N_("to $y_2$"),  # chapter 4
    N_("y = 1 / (1 + exp(-x)): the gradient flows right to left"),  # chapter 5
    N_("x = 1: four local gradients multiplied, right to left"),
    N_("Y = X·W + B for a batch of N = 2"),  # chapter 6
    N_("Softmax-with-Loss as one layer"), N_("Cross-entropy error: L = -Σ t_k log y_k"),  # chapter 7
    N_("scalar"), N_("TwoLayerNet: forward ↓, backward ↑"),  # chapter 8
    N_("the graph the engine recorded, and the gradients of price.backward()"),  # chapter 10
)
