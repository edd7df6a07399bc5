"""Write the performance page and its Korean catalogue from the benchmark results in bench/results/.

    python scripts/performance.py            # run by `make book` and `make bench`

Each benchmark in bench/ writes NAME.json: every measured value, and the machine it ran on.
The page (book/performance.md) shows, for each benchmark, what was run and how, on which machine,
and the key numbers next to their peer; the training section (performance_train.py) also its
floor, where a step's time goes and what each optimisation bought, with two figures
(book/performance/*.png, drawn by performance_figures.py in both languages, each with its alt text).
Its numbers change with every `make bench`, so its Korean catalogue
(locales/ko/LC_MESSAGES/book/performance.po) is written here too, not by hand: every sentence,
heading, table cell and alt text is a pair of templates, English and Korean, filled with the same
values (performance_page.py), and the catalogue holds exactly the messages Sphinx extracts from the page.
A missing result gives a sentence saying the benchmark has not been run yet, never a failed build.
"""
import argparse
import io
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

from backprop_grader.reports.files import write_if_changed
from performance_page import Message, Page, fmt, machine_sentence, same, say  # noqa: F401 (the tests use them)
from performance_train import train_summary

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PAGE = ROOT / "book" / "performance.md"
CATALOGUE = ROOT / "locales" / "ko" / "LC_MESSAGES" / "book" / "performance.po"
SOURCE = "../../book/performance.md"  # the page as Sphinx's gettext builder names it


def gradcheck_summary(page, data):
    """bench_gradcheck.py: one gradient by backpropagation and by numerical differentiation."""
    config, summary = data["config"], data["summary"]
    page.paragraph(say(
        "One gradient of {network} ({parameters} parameters) on a batch of {batch} Fashion-MNIST images, "
        "{dtype}, {threads} BLAS thread(s), median of {rounds} rounds.",
        "{network}(매개변수 {parameters}개)의 기울기를 Fashion-MNIST 이미지 {batch}장의 배치에서 한 번 "
        "계산했습니다. {dtype}, BLAS 스레드 {threads}개, {rounds}회의 중앙값입니다.",
        network=config["network"], parameters=fmt(config["parameters"]), batch=config["batch_size"],
        dtype=config["dtype"], threads=config["threads"], rounds=config["rounds"]))
    page.table([say("method", "방법"), say("time per gradient", "기울기 한 번의 계산 시간")], [
        [say("numerical differentiation (central differences)", "수치 미분(중심 차분)"),
         say("{t:.3f} s", "{t:.3f}초", t=summary["numerical_seconds"])],
        [say("backpropagation", "역전파"), say("{t:.4f} ms", "{t:.4f}밀리초", t=summary["backprop_seconds"] * 1e3)]])
    page.paragraph(say(
        "Backpropagation is **{ratio:,.0f}x** faster; the two gradients agree to a relative error of "
        "{error:.1e} (the largest over all entries of max |a-b| / max(1e-8, |a|+|b|)).",
        "역전파가 **{ratio:,.0f}배** 빠릅니다. 두 기울기의 상대 오차는 {error:.1e}입니다(모든 원소에서 "
        "max |a-b| / max(1e-8, |a|+|b|)의 최댓값).",
        ratio=summary["ratio_numerical_over_backprop"], error=summary["max_rel_error"]))


# The grader's speed targets (bench/bench_grader.py reports them too), in seconds.
TARGETS = {"single_cli_seconds": 2, "batch_seconds": 45, "correct_median_seconds": 0.2}
# The kinds of submission in the benchmark's class.
KINDS = {"broken": "깨진 파일", "correct": "올바른 풀이", "slow": "느린 풀이", "stub": "채우지 않은 연습문제",
         "wrong": "틀린 풀이"}
# Why nbgrader was not compared (bench/bench_grader.py), in Korean.
SKIPPED = {"nbgrader not found (set NBGRADER=/path/to/bin/nbgrader)":
           "nbgrader를 찾지 못했습니다(환경 변수 NBGRADER=/path/to/bin/nbgrader를 설정하세요)"}


def grader_summary(page, data):
    """bench_grader.py: one submission from the command line, and a class of 200 in one batch."""
    n, all_ = data["n"], say("all", "전부")
    page.table([say("measure", "측정 항목"), say("value", "값"), say("target", "목표")], [
        [say("one submission, `backprop-grade solutions/04_matmul.ipynb` (command line, median of {runs})",
             "제출물 하나, `backprop-grade solutions/04_matmul.ipynb` (명령줄, {runs}회의 중앙값)",
             runs=data.get("single_cli_runs", 3)),
         say("{t:.2f} s", "{t:.2f}초", t=data["single_cli_seconds"]),
         say("<= {t} s", "{t}초 이하", t=TARGETS["single_cli_seconds"])],
        [say("a class of {n} mixed submissions, -j {jobs}", "여러 종류가 섞인 한 반의 제출물 {n}개, -j {jobs}",
             n=n, jobs=data["jobs"]),
         say("{t:.1f} s", "{t:.1f}초", t=data["batch_seconds"]),
         say("<= {t} s", "{t}초 이하", t=TARGETS["batch_seconds"])],
        [say("a correct submission's median time in the batch", "일괄 채점에서 올바른 풀이 하나에 걸린 시간의 중앙값"),
         say("{t:.2f} s", "{t:.2f}초", t=data["seconds_per_submission_by_kind"]["correct"]["median"]),
         say("<= {t} s", "{t}초 이하", t=TARGETS["correct_median_seconds"])],
        [say("rows written", "기록된 행"), say("{k} of {n}", "{n}개 중 {k}개", k=data["rows"], n=n), all_],
        [say("correct submissions at 100%", "100%를 받은 올바른 풀이"),
         say("{k} of {n}", "{n}개 중 {k}개", k=data["correct_at_100_percent"], n=data["mix"]["correct"]), all_]])
    page.paragraph(say("Seconds per submission inside the batch (grading only, the worker already started):",
                       "일괄 채점 안에서 제출물 하나에 걸린 시간(초, 작업 프로세스가 이미 시작된 뒤 채점에 걸린 시간만):"))
    page.table([say("kind", "종류"), say("n", "개수"), say("median", "중앙값"), say("max", "최댓값")],
               [[say(kind, KINDS.get(kind, kind)), same(s["n"]), same(f"{s['median']:.2f}"), same(f"{s['max']:.2f}")]
                for kind, s in sorted(data["seconds_per_submission_by_kind"].items())])
    page.paragraph(say("nbgrader, side by side", "nbgrader와 나란히 비교"), "### ")
    nbgrader = data["nbgrader"]
    if "skipped" in nbgrader:
        reason = nbgrader["skipped"]
        page.paragraph(Message(f"Not compared: {reason}.", f"비교하지 않았습니다: {SKIPPED.get(reason, reason)}."))
    else:
        nbgrader_comparison(page, nbgrader)


def nbgrader_comparison(page, nb):
    """nbgrader's autograde of the same exercise, when bench_grader.py found it (NBGRADER=...)."""
    ratio = nb["per_submission"] / nb["ours_per_submission_04_matmul"]
    page.paragraph(say(
        "`nbgrader autograde` of {submissions} MatMul submissions and the tamperer below (an equivalent notebook: "
        "the same solution, hidden asserts on forward, dx, dW): {seconds:.1f} s, {per:.2f} s per submission "
        "({autograded} of them at full marks, exit {returncode}); ours: {ours:.2f} s per 04_matmul submission "
        "in the batch. Ratio nbgrader / ours: {ratio:.1f}.",
        "`nbgrader autograde`로 MatMul 제출물 {submissions}개와 아래의 조작된 제출물을 채점했습니다(같은 풀이에 "
        "forward, dx, dW를 확인하는 숨은 assert를 넣은 동등한 노트북): {seconds:.1f}초, 제출물 하나당 {per:.2f}초"
        "(만점 {autograded}개, 종료 코드 {returncode}). 우리 채점기는 일괄 채점에서 04_matmul 제출물 하나당 "
        "{ours:.2f}초입니다. 비율 nbgrader / 우리 채점기: {ratio:.1f}.",
        submissions=nb["submissions"], seconds=nb["seconds"], per=nb["per_submission"], ratio=ratio,
        autograded=nb["autograded"], returncode=nb["returncode"], ours=nb["ours_per_submission_04_matmul"]))
    page.paragraph(say(
        "nbgrader runs one notebook at a time in a fresh kernel, with no sandbox and no per-test time limit; "
        "ours runs each submission in a sandboxed child process (in a batch, a fork of a server that has "
        "imported numpy and IPython once).",
        "nbgrader는 노트북을 하나씩 새 커널에서 실행하며, 샌드박스도 테스트별 시간 제한도 없습니다. 우리 "
        "채점기는 각 제출물을 샌드박스 안의 자식 프로세스에서 실행합니다(일괄 채점에서는 numpy와 IPython을 한 번만 "
        "불러 둔 서버를 fork한 프로세스)."))
    page.paragraph(say(
        "Tamper resistance: a wrong MatMul whose cell also sets `np.allclose = lambda *a, **k: True` scores "
        "{theirs} under nbgrader (its hidden asserts run in the learner's kernel) and {ours} here (the "
        "comparison runs in the grader's process).",
        "조작에 대한 내성: 셀에서 `np.allclose = lambda *a, **k: True`까지 설정하는 틀린 MatMul은 nbgrader에서 "
        "{theirs}점(숨은 assert가 학습자의 커널에서 실행됨), 여기서는 {ours}점을 받습니다(비교가 채점기의 "
        "프로세스에서 실행됨).", theirs=nb["tamperer_score"], ours=nb["tamperer_score_ours"]))


# name -> (section title, what it measures, the sentences and tables of its key numbers)
BENCHMARKS = {
    "train": (say("Training", "학습"), say(
        "The notes' experiment, trained by minibatch SGD and run by `backprop_lib` and by PyTorch side by "
        "side on the same batches.",
        "강의 노트의 실험입니다. 미니배치 SGD로 학습시키며, `backprop_lib`과 PyTorch가 같은 배치로 나란히 실행합니다."),
        train_summary),
    "gradcheck": (say("Gradient check", "기울기 확인"), say(
        "Backpropagation against numerical differentiation on the same network: how close the gradients "
        "are, and how much faster backpropagation is.",
        "같은 신경망에서 역전파와 수치 미분을 비교합니다. 두 기울기가 얼마나 가까운지, 역전파가 얼마나 더 "
        "빠른지 봅니다."), gradcheck_summary),
    "grader": (say("The autograder", "채점기"), say(
        "How long grading takes: one submission from the command line, and a whole class of correct, "
        "wrong, slow and broken submissions in one batch.",
        "채점에 걸리는 시간입니다. 명령줄에서 제출물 하나를 채점할 때와, 올바른 풀이, 틀린 풀이, 느린 풀이, "
        "깨진 파일이 섞인 한 반 전체를 한 번에 일괄 채점할 때를 잽니다."), grader_summary),
}


def section(page, results, name):
    """One benchmark's section: what it measures, on what machine, its key numbers, where the rest is."""
    title, about, summary = BENCHMARKS[name]
    page.paragraph(title, "## ")
    page.paragraph(about)
    path = results / f"{name}.json"
    if not path.exists():
        return page.paragraph(say(
            "This benchmark has not been run yet (`bench/results/{name}.json` is missing): `make bench` runs it.",
            "이 벤치마크는 아직 실행되지 않았습니다(`bench/results/{name}.json`이 없습니다). `make bench`로 "
            "실행하세요.", name=name))
    try:
        data = json.loads(path.read_text())
    except ValueError as error:
        return page.paragraph(Message(
            f"`bench/results/{name}.json` could not be read ({error}): `make bench` writes it again.",
            f"`bench/results/{name}.json`을 읽을 수 없습니다({error}). `make bench`가 다시 씁니다."))
    if isinstance(data.get("machine"), dict):
        page.paragraph(machine_sentence(data["machine"]))
    numbers = Page()  # apart, so that a result without the expected fields adds none of its messages
    try:
        summary(numbers, data)
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as error:
        page.paragraph(say(
            "`bench/results/{name}.json` lacks what this page shows ({error}): `make bench` writes it again.",
            "`bench/results/{name}.json`에 이 페이지가 보여 줄 값이 없습니다({error}). `make bench`가 다시 씁니다.",
            name=name, error=f"{type(error).__name__}: {error}"))
    else:
        page.extend(numbers)
    page.paragraph(say("Every measured value, and the machine's description, is in `bench/results/{name}.json`.",
                       "측정한 모든 값과 컴퓨터 사양은 `bench/results/{name}.json`에 있습니다.", name=name))


def write_page(results):
    """The page (a Page: its Markdown and its messages) from the results in `results`."""
    page = Page()
    page.paragraph(say("Performance", "성능"), "# ")
    # a MyST comment: no HTML, so no message for the catalogue (raw HTML is one, _config.yml)
    page.markup("% Generated by scripts/performance.py from bench/results/, with its Korean catalogue "
                "locales/ko/LC_MESSAGES/book/performance.po: do not edit.", "")
    page.paragraph(say(
        "Measured by the benchmarks in `bench/` (`make bench`), each time next to a peer run on the same "
        "machine in the same run: absolute times depend on the machine, ratios much less.",
        "`bench/`의 벤치마크(`make bench`)로 측정했으며, 매번 같은 컴퓨터에서 같은 실행 중에 비교 대상도 함께 "
        "돌렸습니다. 절대 시간은 컴퓨터에 따라 달라지지만, 비율은 훨씬 덜 달라집니다."))
    for name in BENCHMARKS:
        section(page, results, name)
    return page


def measured_at(results):
    """The date of the newest result (the catalogue's date: the same results give the same file)."""
    dates = []
    for path in sorted(results.glob("*.json")):
        try:
            dates.append(datetime.fromisoformat(json.loads(path.read_text())["machine"]["date"]))
        except (ValueError, KeyError, TypeError):
            pass
    return max(dates, default=datetime(2026, 1, 1, tzinfo=timezone.utc))


HEADER = """\
# The Korean messages of book/performance.md, written with the page
# by scripts/performance.py from bench/results/. Do not edit: the
# numbers change with every `make bench`; change the script's Korean
# templates instead."""


def catalogue_text(page, date):
    """The Korean catalogue of the page, as sphinx-intl writes one (babel, lines of 76 characters)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    catalogue = Catalog(locale="ko", project="backprop course", version="1", fuzzy=False,
                        header_comment=HEADER, copyright_holder="The backprop course authors",
                        creation_date=date, revision_date=date, last_translator="scripts/performance.py",
                        language_team="ko")
    for english, korean in page.korean.items():
        catalogue.add(english, korean, locations=[(SOURCE, page.line_of[english])])
    out = io.BytesIO()
    write_po(out, catalogue, width=76)
    return out.getvalue().decode("utf-8")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS, help="the benchmarks' NAME.json files")
    parser.add_argument("--page", type=Path, default=PAGE, help="the English page to write")
    parser.add_argument("--catalogue", type=Path, default=CATALOGUE, help="its Korean catalogue to write")
    args = parser.parse_args(argv)
    page = write_page(args.results)
    # unchanged files keep their time: Sphinx rebuilds a page whose source is newer
    write_if_changed(args.page, "\n".join(page.lines).rstrip() + "\n")
    write_if_changed(args.catalogue, catalogue_text(page, measured_at(args.results)))
    for name, image in page.images.items():  # the figures, beside the page: performance/NAME.png, NAME.ko.png
        write_if_changed(args.page.parent / "performance" / name, image)
    return 0


if __name__ == "__main__":
    sys.exit(main())
