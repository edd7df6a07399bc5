"""The class report as one self-contained HTML page: opens offline from the file system.

Figures are matplotlib PNGs embedded as base64 (no pyplot, as in the book); there are no scripts,
fonts or links to fetch. Every string that reaches the page goes through `_e` (html.escape):
submission names, reasons, diagnoses and examples are learner-controlled and hostile.
The page's words are in the teacher's language (backprop_grader.language: --language, else the
environment's); test names and titles are translated from the summary's English keys. Diagnoses
and examples are quoted as the learners read them. The figures' labels stay English (a PNG would
need a Korean font that the teacher's machine may not have).
"""
from __future__ import annotations

import base64
import io
from html import escape

from matplotlib.figure import Figure

from backprop_grader.language import _, language, message_from, translated

from backprop_grader.reports.report import status_word

PASS_COLOR, FAIL_COLOR = "#1f77b4", "#d62728"  # the notes' red for what went wrong
SHOWN_DIAGNOSES = 10

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { border-top: 1px solid #ccc; padding-top: 1rem; margin-top: 2.5rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; } td, th { border: 1px solid #ddd; padding: 0.25rem 0.5rem; }
th { background: #f4f4f4; text-align: left; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.figures { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; } img { max-width: 100%; }
pre { white-space: pre-wrap; word-break: break-word; margin: 0.2rem 0; font-size: 0.85rem; background: #f8f8f8; padding: 0.3rem; }
.muted { color: #666; } td.status { white-space: nowrap; }
"""


def _e(value) -> str:
    return escape(str(value), quote=True)


def test_name(test) -> str:
    """A test's name (kept in English, with its parts) in the page's language."""
    return translated(message_from(test.get("name_parts"), test["name"]))


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, facecolor="white", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def histogram_png(histogram) -> str:
    """Bars of how many graded submissions scored 0-10 %, ..., 90-100 %."""
    fig = Figure(figsize=(4.2, 3), layout="constrained")
    ax = fig.subplots()
    bins, counts = histogram["bins"], histogram["counts"]
    ax.bar(bins[:-1], counts, width=[b - a for a, b in zip(bins, bins[1:])], align="edge",
           color=PASS_COLOR, edgecolor="white")
    ax.set(xlabel="score (%)", ylabel="submissions", title="score distribution", xlim=(0, 100), xticks=bins)
    ax.yaxis.get_major_locator().set_params(integer=True)
    return _png(fig)


def pass_rate_png(tests) -> str:
    """One horizontal bar per test, the worst on top: passed in blue, failed in red."""
    fig = Figure(figsize=(6.6, 0.8 + 0.26 * max(1, len(tests))), layout="constrained")
    ax = fig.subplots()
    names = [t["name"] if len(t["name"]) <= 60 else t["name"][:59] + "…" for t in tests]
    rates = [100 * t["pass_rate"] for t in tests]
    y = range(len(tests))
    ax.barh(y, rates, color=PASS_COLOR)
    ax.barh(y, [100 - r for r in rates], left=rates, color=FAIL_COLOR, alpha=0.35)
    ax.set_yticks(list(y), names, fontsize=8)
    for i, t in enumerate(tests):  # the counts behind each bar, right of the axes
        ax.text(101, i, f"{t['passed']}/{t['attempts']}", va="center", fontsize=8, clip_on=False)
    ax.invert_yaxis()
    ax.set(xlabel="submissions that pass (%)", xlim=(0, 100), title="pass rate of every test, worst first")
    return _png(fig)


def render(summary) -> str:
    statuses = ", ".join(f"{n} {_e(status_word(s))}" for s, n in summary["by_status"].items())
    time = summary["grading_seconds"]
    title = _e(_("Class report: {csv}").format(csv=summary["csv"]))
    overview = (_("{count} submissions: {statuses}. Grading time {seconds} s in all; this run took {wall} s.")
                if summary.get("wall_seconds") is not None else
                _("{count} submissions: {statuses}. Grading time {seconds} s in all."))
    overview = overview.format(count=summary["submissions"], statuses=statuses, seconds=f"{time['total']:.1f}",
                               wall=f"{summary.get('wall_seconds') or 0:.1f}")
    head = (f"<h1>{title}</h1>\n"
            f"<p id=\"overview\" data-submissions=\"{summary['submissions']}\">{overview}</p>\n"
            + _contents(summary))
    body = "\n".join(_exercise(ex) for ex in summary["exercises"])
    return (f"<!DOCTYPE html>\n<html lang=\"{language()}\"><head><meta charset=\"utf-8\">\n"
            f"<title>{title}</title>\n<style>{STYLE}</style></head>\n"
            f"<body>\n{head}\n{body}\n</body></html>\n")


def _contents(summary) -> str:
    unknown = _("unknown")
    rows = "".join(
        f"<tr><td><a href=\"#ex-{_e(ex['exercise'])}\">{_e(ex['exercise'] or unknown)}</a></td>"
        f"<td>{_e(translated(ex['title']))}</td>"
        f"<td class=\"n\">{ex['submissions']}</td><td class=\"n\">{ex['graded']}</td>"
        f"<td class=\"n\">{_percent(ex['mean_percent'])}</td>"
        f"<td>{_e(ex['diagnoses'][0]['diagnosis']) if ex['diagnoses'] else ''}</td></tr>"
        for ex in summary["exercises"])
    headers = "".join(f"<th>{_e(h)}</th>" for h in (_("exercise"), _("title"), _("submissions"), _("graded"),
                                                     _("mean score"), _("most frequent diagnosis")))
    return f"<table id=\"contents\"><tr>{headers}</tr>{rows}</table>"


def _percent(value) -> str:
    return "–" if value is None else f"{value:.1f} %"


def _exercise(ex) -> str:
    name = (_("Exercise {exercise}: {title}").format(exercise=ex["exercise"], title=translated(ex["title"]))
            if ex["exercise"] else _("Submissions of no known exercise"))
    seconds = ex["grading_seconds"]
    counts = _("{submissions} submissions, {graded} graded, {not_graded} not graded.").format(
        submissions=f"<span class=\"submissions\">{ex['submissions']}</span>",
        graded=f"<span class=\"graded\">{ex['graded']}</span>",
        not_graded=f"<span class=\"not-graded\">{ex['not_graded']}</span>")
    timing = (_("Mean score {mean}, median {median}. Grading time: {total} s in all, {per} s per submission on "
                "average, {max} s at most.") if seconds["mean"] is not None else
              _("Mean score {mean}, median {median}. Grading time: {total} s in all.")).format(
        mean=_percent(ex["mean_percent"]), median=_percent(ex["median_percent"]), total=f"{seconds['total']:.1f}",
        per=f"{seconds['mean'] or 0:.2f}", max=f"{seconds['max'] or 0:.2f}")
    parts = [f"<section class=\"exercise\" id=\"ex-{_e(ex['exercise'])}\" data-exercise=\"{_e(ex['exercise'])}\">",
             f"<h2>{_e(name)}</h2>", f"<p>{counts} {_e(timing)}</p>"]
    if ex["graded"]:
        parts.append(_figures(ex))
    if ex["without_report"]:
        parts.append("<p class=\"muted\">" + _e(_("No per-test results for {count} graded submissions (their reports "
                                                  "are missing): {names}").format(
            count=len(ex["without_report"]), names=", ".join(ex["without_report"]))) + "</p>")
    parts += [_diagnoses(ex), _not_graded(ex), "</section>"]
    return "\n".join(p for p in parts if p)


def _figures(ex) -> str:
    histogram = ex["score_histogram"]
    bins = histogram["bins"]
    cells = "".join(f"<td class=\"n bin\">{n}</td>" for n in histogram["counts"])
    labels = "".join(f"<th>{a}–{b}</th>" for a, b in zip(bins, bins[1:]))
    words = {key: _e(text) for key, text in (("score", _("score (%)")), ("submissions", _("submissions")),
                                              ("rates", _("pass rate of every test (table)")), ("test", _("hidden test")),
                                              ("passed", _("passed")), ("graded", _("graded")),
                                              ("rate", _("pass rate")))}
    tests = "".join(f"<tr class=\"test\"><td>{_e(test_name(t))}</td><td class=\"n passed\">{t['passed']}</td>"
                    f"<td class=\"n attempts\">{t['attempts']}</td><td class=\"n\">{100 * t['pass_rate']:.0f} %</td></tr>"
                    for t in ex["tests"])
    images = [f"<img class=\"histogram\" alt=\"score distribution of exercise {_e(ex['exercise'])}\" "
              f"src=\"{histogram_png(histogram)}\">"]
    if ex["tests"]:
        images.append(f"<img class=\"pass-rate\" alt=\"pass rate of every test of exercise {_e(ex['exercise'])}\" "
                      f"src=\"{pass_rate_png(ex['tests'])}\">")
    return (f"<div class=\"figures\">{''.join(images)}</div>\n"
            f"<table class=\"histogram\"><tr><th>{words['score']}</th>{labels}</tr><tr><th>{words['submissions']}"
            f"</th>{cells}</tr></table>\n"
            f"<details><summary>{words['rates']}</summary><table class=\"tests\">"
            f"<tr><th>{words['test']}</th><th>{words['passed']}</th><th>{words['graded']}</th>"
            f"<th>{words['rate']}</th></tr>{tests}</table></details>")


def _diagnoses(ex) -> str:
    if not ex["diagnoses"]:
        return "<p>" + _e(_("No failed checks.")) + "</p>" if ex["graded"] else ""
    rows = "".join(
        f"<tr class=\"diagnosis\"><td class=\"n\">{i}</td><td class=\"idea\">{_e(d['diagnosis'])}</td>"
        f"<td class=\"n count\">{d['submissions']}</td><td class=\"n\">{d['occurrences']}</td>"
        f"<td>{''.join(f'<pre>{_e(x)}</pre>' for x in d['examples'])}</td></tr>"
        for i, d in enumerate(ex["diagnoses"][:SHOWN_DIAGNOSES], 1))
    headers = "".join(f"<th>{_e(h)}</th>" for h in ("#", _("diagnosis"), _("submissions"), _("times"),
                                                     _("two examples (anonymised)")))
    return ("<h3>" + _e(_("Most frequent diagnoses")) + f"</h3>\n<table class=\"diagnoses\"><tr>{headers}</tr>"
            + rows + "</table>")


def _not_graded(ex) -> str:
    if not ex["could_not_grade"]:
        return ""
    rows = "".join(f"<tr class=\"not-graded\" data-status=\"{_e(r['status'])}\"><td>{_e(r['submission'])}</td>"
                   f"<td class=\"status\">{_e(status_word(r['status']))}</td>"
                   f"<td><pre>{_e(r['reason'])}</pre></td></tr>" for r in ex["could_not_grade"])
    headers = "".join(f"<th>{_e(h)}</th>" for h in (_("submission"), _("status"), _("why")))
    return ("<h3>" + _e(_("Not graded")) + f"</h3>\n<table class=\"not-graded\"><tr>{headers}</tr>"
            + rows + "</table>")
