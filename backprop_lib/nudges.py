"""How the output layer's wishes add up in a hidden unit (chapter 9, after 3Blue1Brown).

One example asks output k to move by t_k - y_k (the nudge, minus the gradient y_k - t_k).
Hidden unit j reaches output k through the weight W2[j, k], so its share of that wish is
W2[j, k] (t_k - y_k), and the wishes of all C outputs add up (unit j is a branch node):

    -dL/dh_j = sum_k W2[j, k] (t_k - y_k)

For all units at once that is -(y - t) W2^T, the matrix product of chapter 4.
"""
import numpy as np

from .draw import GRAD_COLOR
from .figures import CourseFigure, in_language, spoken
from .language import N_, _

UP_COLOR = "#2e86c1"  # a wish to go up; a wish to go down is GRAD_COLOR


def hidden_unit_wishes(W2, y, t, j):
    """The C shares W2[j, k] (t_k - y_k) of hidden unit j, and their sum -dL/dh_j."""
    W2, y, t = (np.asarray(a, dtype=np.float64) for a in (W2, y, t))
    if W2.ndim != 2 or y.shape != t.shape or y.shape != (W2.shape[1],):
        raise ValueError(f"expected W2 of shape (H, C) and y, t of shape (C,); found W2 {W2.shape}, "
                         f"y {y.shape}, t {t.shape}")
    shares = W2[j] * (t - y)
    return {"output_nudges": t - y, "weights": W2[j], "shares": shares, "total": float(shares.sum())}


@in_language
def hidden_wishes_figure(W2, y, t, j, class_names=None, lang=None):
    """Left: unit j and the C outputs, each edge labelled with its share; right: the shares as bars.

    class_names: the outputs' names (English words are drawn in `lang` when the catalogue has them).
    """
    w = hidden_unit_wishes(W2, y, t, j)
    C = len(w["shares"])
    names = ([_(name, lang) for name in class_names] if class_names else
             [_("output {number}", lang).format(number=k + 1) for k in range(C)])
    figure = CourseFigure(figsize=(9, 0.45 * C + 1.5), layout="constrained")
    graph, bars = figure.subplots(1, 2, width_ratios=[1.25, 1])
    rows = np.linspace(C - 1, 0, C) - (C - 1) / 2
    limit = np.abs(w["weights"]).max()
    for k, row in enumerate(rows):
        color = UP_COLOR if w["shares"][k] > 0 else GRAD_COLOR
        graph.plot([0, 1], [0, row], color=color, lw=0.5 + 3 * abs(w["weights"][k]) / limit, alpha=0.8)
        graph.text(1.04, row, _("{name}: wants {nudge:+.3f}", lang).format(name=names[k], nudge=w["output_nudges"][k]),
                   va="center", fontsize=10)
        graph.text(0.62, 0.62 * row, f"{w['shares'][k]:+.4f}", fontsize=9, color=color, ha="center",
                   va="center", bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})
    graph.plot([0], [0], "o", ms=16, color="white", mec="black")
    graph.text(-0.06, 0, f"$h_{{{j}}}$", ha="right", va="center", fontsize=12)
    graph.set_xlim(-0.3, 2.0)
    graph.set_axis_off()
    graph.set_title(_("unit {j} hears each output through $W_{{2,{j}k}}$ (line width)", lang).format(j=j),
                    fontsize=10)
    bars.barh(rows, w["shares"], height=0.7, color=[UP_COLOR if s > 0 else GRAD_COLOR for s in w["shares"]])
    bars.barh([rows[-1] - 1.3], [w["total"]], height=0.9, color="black")
    bars.set_yticks(list(rows) + [rows[-1] - 1.3], list(names) + [_("sum", lang)], fontsize=9)
    bars.axvline(0, color="black", lw=0.8)
    bars.set_xlabel(_(r"share $W_{2,jk}\,(t_k - y_k)$; the sum is $-\partial L/\partial h_j$", lang))
    bars.set_title(_("they add up: $-\\partial L/\\partial h_{{{j}}}$ = {total:+.4f}", lang).format(
        j=j, total=w["total"]), fontsize=10)

    def describe(lang):
        names_in = [_(name, lang) for name in class_names] if class_names else \
            [_("output {number}", lang).format(number=k + 1) for k in range(C)]
        shares = "; ".join(_("{name} wants {nudge:+.3f}, weight {weight:+.3f}, share {share:+.4f}", lang).format(
            name=name, nudge=w["output_nudges"][k], weight=w["weights"][k], share=w["shares"][k])
            for k, name in enumerate(names_in))
        alt = _("Hidden unit h{j} and the {count} outputs it feeds: each output's wish t_k - y_k times the "
                "weight W2[{j}, k] is its share, drawn as a line and a bar (blue: up, red: down); the shares "
                "add up to -∂L/∂h{j} = {total:+.4f}.", lang).format(j=j, count=C, total=w["total"])
        return alt, shares + "."
    figure.describe = describe
    return figure


# The classes of Fashion-MNIST, as chapter 9 names them: listed so that the catalogue has them,
# and the figures below draw them in the learner's language.
FASHION_MNIST_CLASSES = (N_("T-shirt/top"), N_("Trouser"), N_("Pullover"), N_("Dress"), N_("Coat"),
                         N_("Sandal"), N_("Shirt"), N_("Sneaker"), N_("Bag"), N_("Ankle boot"))


@in_language
def example_nudges_figure(image, grads, h, true_class, class_names, lang=None):
    """One example (left), the nudges t - y it asks of the scores (middle), and the nudges to the
    weights into two outputs against the hidden activations h (right): proportional to h."""
    names = [_(name, lang) for name in class_names]
    figure = CourseFigure(figsize=(12, 3.4), layout="constrained")
    ax_img, ax_scores, ax_w2 = figure.subplots(1, 3, width_ratios=[0.8, 1.3, 1.3])
    ax_img.imshow(np.reshape(image, (28, 28)), cmap="gray_r")
    ax_img.set_title(_("one example: {name}", lang).format(name=names[true_class]))
    ax_img.axis("off")
    nudge = -grads["b2"]
    ax_scores.bar(range(len(nudge)), nudge, color=[UP_COLOR if n > 0 else GRAD_COLOR for n in nudge])
    ax_scores.axhline(0, color="black", lw=0.8)
    ax_scores.set_xticks(range(len(nudge)), names, rotation=60, ha="right", fontsize=8)
    ax_scores.set_title(_("what it wants for each score: t - y", lang))
    other = (true_class + 1) % len(nudge)
    for k, color in ((true_class, UP_COLOR), (other, GRAD_COLOR)):
        ax_w2.scatter(h, -grads["W2"][:, k], s=14, color=color,
                      label=_("weights into '{name}'", lang).format(name=names[k]))
    ax_w2.axhline(0, color="black", lw=0.8)
    ax_w2.set_xlabel(_("activation $h_j$ of hidden unit $j$", lang))
    ax_w2.set_ylabel(_(r"nudge $-\partial L/\partial W_{2,jk}$", lang))
    ax_w2.set_title(_("nudges are proportional to activations", lang))
    ax_w2.legend(fontsize=8)

    def describe(lang):
        names_in = [_(name, lang) for name in class_names]
        wanted = "; ".join(f"{name} {n:+.3f}" for name, n in zip(names_in, nudge))
        slope = [float(np.polyfit(h, -grads["W2"][:, k], 1)[0]) if np.ptp(h) > 0 else 0.0
                 for k in (true_class, other)]
        alt = _("One example, an image of the class {name}. In the middle, the nudge t - y it asks of each of "
                "the ten scores: {wanted}. On the right, the nudges to the weights into '{name}' and into "
                "'{other}' against the activations h_j of the hidden units: two straight lines through zero, "
                "slopes {up:+.3f} and {down:+.3f}, so each nudge is proportional to its activation.", lang).format(
                    name=names_in[true_class], other=names_in[other], wanted=wanted, up=slope[0], down=slope[1])
        return alt, None
    figure.describe = describe
    return figure


@in_language
def first_layer_nudges_figure(dW1, delta, units, lang=None):
    """The nudges -dW1[:, j] of the hidden units j in `units`, as 28 x 28 images (blue: up, red: down).

    Each is the input image times -delta[j], the gradient that reached unit j's pre-activation.
    """
    figure = CourseFigure(figsize=(10, 2.8), layout="constrained")
    for ax, j in zip(figure.subplots(1, len(units)), units):
        nudge_w1 = -dW1[:, j].reshape(28, 28)
        limit = np.abs(nudge_w1).max()
        ax.imshow(nudge_w1, cmap="RdBu", vmin=-limit, vmax=limit)
        ax.set_title(_("unit {j}: image × {factor:+.4f}", lang).format(j=j, factor=-delta[j]), fontsize=9)
        ax.axis("off")
    figure.suptitle(_("nudges to the first-layer weights of four hidden units (blue: up, red: down)", lang)
                    if len(units) == 4 else
                    _("nudges to the first-layer weights of hidden units (blue: up, red: down)", lang))
    figure.describe = lambda lang: (_(
        "The nudges to the first-layer weights of hidden units {units}, each drawn as a 28 x 28 image (blue: up, "
        "red: down): the input image times the gradient that reached the unit, so each looks like the example, "
        "scaled by {factors}.", lang).format(units=", ".join(str(j) for j in units),
                                             factors=", ".join(f"{-delta[j]:+.4f}" for j in units)), None)
    return figure


@in_language
def batch_nudges_figure(each, batch, labels, class_names, lang=None):
    """The nudges t - y of each example (one row each) above their average, the batch's nudge."""
    names = [_(name, lang) for name in class_names]
    figure = CourseFigure(figsize=(8, 3.6), layout="constrained")
    ax = figure.subplots()
    ax.imshow(np.vstack([each, batch]), cmap="RdBu", vmin=-1, vmax=1)
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=8)
    rows = [_("example {n} ({name})", lang).format(n=n, name=names[t]) for n, t in enumerate(labels)]
    ax.set_yticks(range(len(each) + 1), rows + [_("average", lang)], fontsize=8)
    ax.axhline(len(each) - 0.5, color="black", lw=2)
    ax.set_title(_("nudges t - y to the ten scores (blue: up, red: down)", lang))

    def describe(lang):
        names_in = [_(name, lang) for name in class_names]
        rows_in_words = [_("example {n} ({name}): most up {up} {up_by:+.2f}, most down {down} {down_by:+.2f}",
                           lang).format(n=n, name=names_in[t], up=names_in[int(np.argmax(row))],
                                        up_by=float(np.max(row)), down=names_in[int(np.argmin(row))],
                                        down_by=float(np.min(row)))
                         for n, (t, row) in enumerate(zip(labels, each))]
        alt = _("A grid of the nudges t - y that {count} examples ask of the ten scores, one row per example "
                "(blue: up, red: down), and below them their average, the batch's nudge: {average}.", lang).format(
                    count=len(each), average="; ".join(f"{name} {v:+.3f}" for name, v in zip(names_in, batch)))
        return alt, "; ".join(rows_in_words) + "."
    figure.describe = describe
    return figure
