"""The performance page's training section, from bench/results/train.json (bench/bench_train.py).

How the notes' run was measured, the time of each implementation (a figure), the floor, where a step's
time goes (a figure and a table) and what each optimisation bought (the ablation), in both languages.
"""
from performance_figures import run_times_figure, step_profile_figure
from performance_page import fmt, same, say


IMPLEMENTATIONS = {
    "fast": say("fast path, `train_fast`", "빠른 경로 `train_fast`"),
    "readable": say("readable loop, `train` (chapter 9)", "읽기 쉬운 루프 `train`(9장)"),
    "pytorch": say("PyTorch, as its users write it", "PyTorch, 사용자들이 흔히 쓰는 방식"),
}
PHASE_ROWS = {
    "gather": say("gather the batch (`x_train[batch_mask]`)", "배치 모으기(`x_train[batch_mask]`)"),
    "forward": say("forward: `Affine1`, `Relu1`, `Affine2`, softmax and loss",
                   "순전파: `Affine1`, `Relu1`, `Affine2`, 소프트맥스와 손실"),
    "backward": say("backward: the same layers in reverse", "역전파: 같은 계층을 거꾸로"),
    "update": say("update (`params[key] -= learning_rate * grad[key]`)",
                  "갱신(`params[key] -= learning_rate * grad[key]`)"),
    "loop": say("the rest of the loop (keeping the loss, the evaluation check)",
                "루프의 나머지(손실 기록, 평가할 차례인지 확인)"),
}
PHASES = tuple(PHASE_ROWS)
# bench/train_profile.py's LADDER and evaluation variants, as the page shows them
CHANGES = {
    "the notes' code: float64, the first layer computes dx": say(
        "the notes' code: float64, the first layer computes `dx`", "강의 노트의 코드: float64, 첫 계층도 `dx`를 계산"),
    "float32 instead of float64": say("float32 instead of float64", "float64 대신 float32"),
    "the first layer skips dx (chapter 9's train)": say(
        "the first layer skips `dx` (chapter 9's `train`)", "첫 계층은 `dx`를 건너뜀(9장의 `train`)"),
    "the batch gathered into one array made once": say(
        "the batch gathered into one array made once", "배치를 미리 만든 배열 하나에 모음"),
    "the update without a temporary": say("the update without a temporary array", "임시 배열 없이 갱신"),
    "every array of a step made once (train_fast)": say(
        "every array of a step made once (`train_fast`)", "한 단계의 모든 배열을 미리 만듦(`train_fast`)"),
}
EVALUATIONS = {
    "float64, chunks of 10,000": say("float64, chunks of 10,000 rows", "float64, 10,000행씩"),
    "float32, the whole set at once": say("float32, the whole set at once", "float32, 전체를 한 번에"),
    "float32, chunks of 10,000": say("float32, chunks of 10,000 rows (`train`)", "float32, 10,000행씩(`train`)"),
    "float32, chunks into arrays made once": say(
        "float32, chunks into arrays made once (`train_fast`)", "float32, 미리 만든 배열에 조각씩(`train_fast`)"),
    "pytorch": say("PyTorch (`torch.no_grad()`)", "PyTorch(`torch.no_grad()` 사용)"),
}


def train_summary(page, data):
    """bench_train.py: the notes' run by the fast path, the readable loop and PyTorch; the floor, the
    profile of a step, and what each optimisation bought."""
    config, summary, floor = data["config"], data["summary"], data["floor"]
    dataset = {"fashion-mnist": "Fashion-MNIST", "mnist": "MNIST"}.get(config["dataset"], config["dataset"])
    rows = config["train_size"] + config["test_size"]
    page.paragraph(say("How it was measured", "측정 방법"), "### ")
    page.paragraph(say(
        "Three implementations train TwoLayerNet(784, {hidden}, 10) on {dataset} with the same pre-drawn "
        "batches: {iters} iterations of batch {batch}, learning rate {lr}, {dtype}, with an evaluation on the "
        "full train and test sets every epoch and at the end ({evaluations} evaluations of {rows} rows). `train` "
        "is the readable loop that chapter 9 shows; `train_fast` (`backprop_lib/fast_training.py`) does the same "
        "arithmetic in arrays made once, and `tests/test_fast_training.py` checks that the two give the same "
        "parameters, losses and accuracies to the last bit. PyTorch's loop is written as its users write it "
        "(`nn.Sequential`, `F.cross_entropy`, `optim.SGD`).",
        "세 구현이 미리 뽑아 둔 같은 배치로 {dataset}에서 TwoLayerNet(784, {hidden}, 10)을 학습시킵니다. 배치 "
        "크기 {batch}로 {iters}번 반복하고, 학습률은 {lr}, 자료형은 {dtype}입니다. 에폭마다, 그리고 마지막에 한 번 "
        "훈련 데이터와 시험 데이터 전체로 정확도를 평가합니다({rows}행을 {evaluations}번). `train`은 9장이 보여 "
        "주는 읽기 쉬운 루프이고, `train_fast`(`backprop_lib/fast_training.py`)는 같은 계산을 미리 만들어 둔 배열 "
        "안에서 합니다. `tests/test_fast_training.py`는 두 루프의 매개변수, 손실, 정확도가 마지막 비트까지 "
        "같은지 확인합니다. PyTorch 쪽은 PyTorch 사용자가 쓰는 방식 그대로입니다(`nn.Sequential`, "
        "`F.cross_entropy`, `optim.SGD`).",
        dataset=dataset, hidden=config["hidden_size"], iters=fmt(config["iters"]), batch=config["batch_size"],
        lr=config["learning_rate"], dtype=config["dtype"], evaluations=floor["evaluations"], rows=fmt(rows)))
    page.paragraph(say(
        "Each implementation uses {threads} BLAS thread(s) (threadpoolctl for NumPy, `torch.set_num_threads` "
        "for PyTorch). They run {rounds} rounds in one process, taking turns at going first; the tables show "
        "medians. Wall time is what a learner waits. On a busy machine it also counts the time other jobs held "
        "the core, which CPU time (`time.process_time`) does not: both are shown.",
        "각 구현은 BLAS 스레드를 {threads}개 씁니다(NumPy는 threadpoolctl, PyTorch는 `torch.set_num_threads`). "
        "한 프로세스 안에서 {rounds}라운드를 돌며, 라운드마다 먼저 실행하는 구현이 바뀝니다. 표의 값은 "
        "중앙값입니다. 경과 시간은 학습자가 실제로 기다리는 시간입니다. 바쁜 기계에서는 다른 작업이 코어를 쓰는 "
        "동안의 시간도 경과 시간에 들어가지만, CPU 시간(`time.process_time`)에는 들어가지 않습니다. 그래서 둘 다 "
        "보여 줍니다.", threads=config["threads"], rounds=config["rounds"]))
    run_times(page, summary, floor)
    the_floor(page, data)
    step_profile(page, data)
    ablation(page, data)


def run_times(page, summary, floor):
    page.paragraph(say("Time per implementation", "구현별 시간"), "### ")
    times = {name: (summary[name]["median_seconds"], summary[name]["median_cpu_seconds"]) for name in IMPLEMENTATIONS}
    page.figure("time.png", {lang: run_times_figure(times, floor["seconds"], lang) for lang in ("en", "ko")},
                say("The notes' training run: the wall time and the CPU time of each implementation, and the floor.",
                    "강의 노트의 학습 실험: 구현마다 걸린 경과 시간과 CPU 시간, 그리고 바닥."))
    torch = summary["pytorch"]
    page.table([say("implementation", "구현"), say("wall seconds (median)", "경과 시간(초, 중앙값)"),
                say("CPU seconds (median)", "CPU 시간(초, 중앙값)"), say("final test accuracy", "최종 테스트 정확도"),
                say("PyTorch's time / this one's (wall, CPU)", "PyTorch의 시간 / 이 구현의 시간(경과, CPU)")],
               [[IMPLEMENTATIONS[name], same(f"{run['median_seconds']:.2f}"), same(f"{run['median_cpu_seconds']:.2f}"),
                 same(f"{run['final_test_acc']:.4f}"),
                 same(f"{torch['median_seconds'] / run['median_seconds']:.2f}, "
                      f"{torch['median_cpu_seconds'] / run['median_cpu_seconds']:.2f}")]
                for name, run in ((name, summary[name]) for name in IMPLEMENTATIONS)])
    page.paragraph(say(
        "The fast path is **{fast:.2f}x** as fast as PyTorch in wall time ({fast_cpu:.2f}x in CPU time), the "
        "readable loop {readable:.2f}x ({readable_cpu:.2f}x).",
        "빠른 경로는 경과 시간으로 PyTorch보다 **{fast:.2f}배** 빠르고(CPU 시간으로는 {fast_cpu:.2f}배), 읽기 쉬운 "
        "루프는 {readable:.2f}배({readable_cpu:.2f}배) 빠릅니다.",
        fast=summary["ratio_torch_over_fast"], fast_cpu=summary["cpu_ratio_torch_over_fast"],
        readable=summary["ratio_torch_over_readable"], readable_cpu=summary["cpu_ratio_torch_over_readable"]))
    ours, readable = summary["fast"]["final_test_acc"], summary["readable"]["final_test_acc"]
    if ours == readable:
        page.paragraph(say(
            "Both of ours end at test accuracy {ours:.4f}: they compute the same numbers. PyTorch ends at "
            "{torch:.4f}: its initial weights come from its own random generator (from the same distribution), "
            "and its arithmetic rounds differently.",
            "우리 구현 둘은 같은 수를 계산하므로 최종 테스트 정확도가 {ours:.4f}로 같습니다. PyTorch는 {torch:.4f}입니다. "
            "초기 가중치를 같은 분포에서 뽑지만 자신의 난수 생성기로 뽑고, 계산의 반올림도 다르기 때문입니다.",
            ours=ours, torch=torch["final_test_acc"]))
    else:
        page.paragraph(say(
            "The fast path ends at test accuracy {ours:.4f}, the readable loop at {readable:.4f}: they should "
            "compute the same numbers (`tests/test_fast_training.py`).",
            "빠른 경로의 최종 테스트 정확도는 {ours:.4f}, 읽기 쉬운 루프는 {readable:.4f}입니다. 둘은 같은 수를 "
            "계산해야 합니다(`tests/test_fast_training.py`).", ours=ours, readable=readable))


def step_products(data):
    """µs of the matrix products of a step's forward and backward, from bench/train_profile.products."""
    products = data["products"]["step_us"]
    return {phase: sum(us for name, us in products.items() if name.startswith(phase + ":"))
            for phase in ("forward", "backward")}


def the_floor(page, data):
    config, floor, products = data["config"], data["floor"], data["products"]
    biggest = sum(us for name, us in products["step_us"].items() if "x W1" in name or "x^T dh" in name)
    page.paragraph(say("The floor", "바닥"), "### ")
    page.paragraph(say(
        "No loop in NumPy can take less time than its matrix products. Timed alone, on arrays of the same "
        "shapes, the five products of a step take {step_us:.0f} µs, {biggest:.0f} µs of them for the two with "
        "784 rows (`x W1` forward and `x.T @ dh` for `dW1`); those of one evaluation take {eval_ms:.0f} ms. "
        "For {iters} steps and {evaluations} evaluations that is {seconds:.2f} s: the floor of this run.",
        "어떤 NumPy 루프도 행렬 곱에 드는 시간보다 빠를 수는 없습니다. 같은 형상의 배열에서 행렬 곱만 따로 재면, "
        "한 단계의 곱 다섯 개에 {step_us:.0f}µs가 들고, 그중 {biggest:.0f}µs는 784행짜리 곱 두 개(순전파의 "
        "`x W1`과 `dW1`을 위한 `x.T @ dh`)의 몫입니다. 평가 한 번의 곱에는 {eval_ms:.0f}ms가 듭니다. "
        "{iters}단계와 평가 {evaluations}번이면 {seconds:.2f}초이고, 이것이 이 실험의 바닥입니다.",
        step_us=sum(products["step_us"].values()), biggest=biggest, eval_ms=products["evaluation_ms"],
        iters=fmt(config["iters"]), evaluations=floor["evaluations"], seconds=floor["seconds"]))
    fast = data["summary"]["fast"]
    step = sum(data["profile"]["fast"][phase] for phase in PHASES)
    gather = data["profile"]["fast"]["gather"]
    page.paragraph(say(
        "The fast path takes {cpu:.2f} s of CPU time, so it reaches **{fraction:.0%}** of the floor "
        "(the floor's time / its own). Of its {step:.0f} µs a step, {gather:.0f} µs go to gathering the batch: "
        "{batch} rows of {row_kb:.1f} KB picked at random from a training set of {train_mb:.0f} MB, far larger "
        "than the caches, so each row is a wait for memory. The other {between:.0f} µs beyond the products are "
        "the small operations between them (below).",
        "빠른 경로의 CPU 시간은 {cpu:.2f}초이므로 바닥의 **{fraction:.0%}** 수준에 도달합니다(바닥의 시간 / 자신의 "
        "시간). 한 단계의 {step:.0f}µs 가운데 {gather:.0f}µs는 배치를 모으는 데 듭니다. 캐시보다 훨씬 큰 "
        "{train_mb:.0f}MB의 훈련 데이터에서 {row_kb:.1f}KB짜리 행 {batch}개를 무작위로 고르므로, 행마다 메모리를 "
        "기다려야 합니다. 행렬 곱 말고 남은 {between:.0f}µs는 곱 사이의 작은 연산들입니다(아래).",
        cpu=fast["median_cpu_seconds"], fraction=floor["fraction_reached"], step=step, gather=gather,
        batch=config["batch_size"], row_kb=config["input_size"] * 4 / 1e3,  # float32: 4 bytes a number
        train_mb=config["train_size"] * config["input_size"] * 4 / 1e6,
        between=step - gather - sum(products["step_us"].values())))


def step_profile(page, data):
    profile, products = data["profile"], step_products(data)
    products_us = sum(products.values())
    page.paragraph(say("Where a step's time goes", "한 단계의 시간은 어디에 쓰이는가"), "### ")
    page.paragraph(say(
        "A step is cut into five phases, each timed with `time.perf_counter_ns` on every step; the numbers are "
        "medians over thousands of steps (`bench/train_profile.py`), so the few steps another job interrupted "
        "do not count. The last column is the products alone, timed as for the floor.",
        "한 단계를 다섯 부분으로 나누어 단계마다 `time.perf_counter_ns`로 잽니다. 값은 수천 단계의 중앙값이므로"
        "(`bench/train_profile.py`), 다른 작업이 끼어든 몇 단계는 세지 않습니다. 마지막 열은 바닥을 잴 때처럼 "
        "행렬 곱만 잰 시간입니다."))
    page.figure("steps.png", {lang: step_profile_figure(profile, products_us, lang) for lang in ("en", "ko")},
                say("One step of each implementation, phase by phase, and the time of its matrix products alone.",
                    "구현마다 한 단계를 부분별로 나눈 시간과, 그 안의 행렬 곱만의 시간."))
    names = ("readable", "fast", "pytorch")
    page.table([say("phase of a step", "단계의 부분"), say("readable loop (µs)", "읽기 쉬운 루프(µs)"),
                say("fast path (µs)", "빠른 경로(µs)"), say("PyTorch (µs)", "PyTorch 구현(µs)"),
                say("matrix products alone (µs)", "행렬 곱만(µs)")],
               [[PHASE_ROWS[phase], *(same(f"{profile[name][phase]:.0f}") for name in names),
                 same(f"{products.get(phase, 0):.0f}")] for phase in PHASES]
               + [[say("one step (the sum)", "한 단계(합계)"),
                   *(same(f"{sum(profile[name][p] for p in PHASES):.0f}") for name in names),
                   same(f"{products_us:.0f}")]])
    between = {name: sum(profile[name][p] for p in PHASES) - profile[name]["gather"] - products_us for name in names}
    torch_step = sum(profile["pytorch"][p] for p in PHASES)
    page.paragraph(say(
        "Besides the gather and the products, the readable loop spends {readable:.0f} µs a step and the fast "
        "path {fast:.0f} µs: the bias, ReLU, softmax and loss on arrays of 100 × 50 and 100 × 10, each a NumPy "
        "call of a microsecond or two, and for the readable loop also the checks a layer makes on every call "
        "and a new array for every result. PyTorch's step takes {torch:.0f} µs, {times:.1f} times the products "
        "alone: every operation goes through its dispatcher and records itself for automatic differentiation, "
        "costs that pay off on large arrays more than on a batch of 100.",
        "배치 모으기와 행렬 곱 말고도 읽기 쉬운 루프는 한 단계에 {readable:.0f}µs를, 빠른 경로는 {fast:.0f}µs를 "
        "씁니다. 100 × 50과 100 × 10 배열에서 편향, ReLU, 소프트맥스, 손실을 계산하는 NumPy 호출이 하나에 한두 µs씩 "
        "들고, 읽기 쉬운 루프는 계층이 호출될 때마다 하는 검사와 결과마다 새로 만드는 배열의 비용도 냅니다. PyTorch의 "
        "한 단계는 {torch:.0f}µs로 행렬 곱만의 {times:.1f}배입니다. 연산마다 디스패처를 거치고 자동 미분을 위해 "
        "자신을 기록하는데, 이 비용은 100개짜리 배치보다 큰 배열에서 더 값어치를 합니다.",
        readable=between["readable"], fast=between["fast"], torch=torch_step, times=torch_step / products_us))


def ablation(page, data):
    config, rungs, evaluations = data["config"], data["ablation"], data["evaluation_ms"]
    steps = config["iters"]
    page.paragraph(say("What each optimisation bought", "최적화마다 얻은 것"), "### ")
    page.paragraph(say(
        "From the notes' code to the fast path, one change at a time; each row keeps the changes above it. "
        "A step is timed as in the profile (the median of every step of {rounds} rounds); on a shared machine, "
        "differences of a few µs are noise.",
        "강의 노트의 코드에서 빠른 경로까지 한 번에 하나씩 바꿉니다. 각 행은 위 행들의 변경을 모두 유지합니다. "
        "한 단계의 시간은 위의 분석과 같이 잽니다({rounds}라운드의 모든 단계의 중앙값). 함께 쓰는 기계에서는 "
        "몇 µs의 차이는 잡음입니다.",
        rounds=data["profile_config"]["rounds"]))
    rows, before = [], None
    for rung in rungs:
        us = rung["step_us"]
        saved = same(f"{before - us:.0f} µs ({(before - us) / before:.0%})" if before else "")
        rows.append([CHANGES.get(rung["change"], same(rung["change"])), same(f"{us:.0f}"), saved,
                     say("{s:.2f} s", "{s:.2f}초", s=us * steps / 1e6)])
        before = us
    page.table([say("change", "변경"), say("µs per step", "한 단계(µs)"), say("saved by this change", "이 변경으로 줄어든 시간"),
                say("{steps} steps", "{steps}단계", steps=fmt(steps))], rows)
    saved = {rung["change"]: previous["step_us"] - rung["step_us"] for previous, rung in zip(rungs, rungs[1:])}
    share = {rung["change"]: (previous["step_us"] - rung["step_us"]) / previous["step_us"]
             for previous, rung in zip(rungs, rungs[1:])}
    page.paragraph(say(
        "**Why float32 halves the memory traffic.** A float64 number takes 8 bytes, a float32 number 4. Every "
        "array a step reads and writes (the batch of 100 × 784 numbers, `W1` of 784 × 50 and its gradient) is "
        "half as large, so half as many bytes travel between memory, the caches and the processor; and one "
        "AVX-512 instruction multiplies 16 numbers of 4 bytes at once, but only 8 of 8 bytes. Here it saved "
        "{us:.0f} µs a step ({share:.0%}). Seven significant digits are plenty for SGD, whose every step is "
        "noisy anyway; the course's gradient checks stay in float64, where differences of 1e-7 matter.",
        "**float32가 메모리 트래픽을 절반으로 줄이는 이유.** float64 수 하나는 8바이트, float32 수 하나는 4바이트를 "
        "차지합니다. 한 단계가 읽고 쓰는 모든 배열(100 × 784개 수의 배치, 784 × 50인 `W1`과 그 기울기)이 절반 "
        "크기가 되므로 메모리, 캐시, 프로세서 사이를 오가는 바이트도 절반이 됩니다. 또 AVX-512 명령 하나는 4바이트 "
        "수 16개를 한꺼번에 곱하지만, 8바이트 수는 8개만 곱합니다. 여기서는 한 단계에 {us:.0f}µs({share:.0%})를 "
        "줄였습니다. 어차피 단계마다 잡음이 있는 SGD에는 유효숫자 일곱 자리로 충분합니다. 이 강의의 기울기 확인은 "
        "1e-7의 차이가 중요하므로 float64로 합니다.",
        us=saved["float32 instead of float64"], share=share["float32 instead of float64"]))
    skip = "the first layer skips dx (chapter 9's train)"
    page.paragraph(say(
        "**Why the first layer needs no dx.** The backward pass of an `Affine` layer returns the downstream "
        "gradient `dx = dout W^T`, which the layer below receives as its upstream gradient, so that the chain "
        "rule can go on. Below the first layer there "
        "is no layer: its x is the data, and nothing changes the pixels of an image to lower the loss. So "
        "`Affine(W, b, input_grad=False)` skips that product, of 100 × 50 by 50 × 784 numbers, as large as the "
        "forward's `x W1`. It saved {us:.0f} µs a step ({share:.0%}): a step now has two large products instead "
        "of three.",
        "**첫 계층에 dx가 필요 없는 이유.** `Affine` 계층의 역전파는 하류 기울기 `dx = dout W^T`를 돌려주고, 아래 "
        "계층은 이것을 상류 기울기로 받아 연쇄법칙을 이어 갑니다. 그런데 첫 계층 아래에는 계층이 없습니다. 첫 계층의 x는 데이터이고, 손실을 "
        "줄이려고 이미지의 픽셀을 바꾸는 일은 없습니다. 그래서 `Affine(W, b, input_grad=False)`는 100 × 50과 "
        "50 × 784의 곱, 곧 순전파의 `x W1`만큼 큰 곱을 건너뜁니다. 한 단계에 {us:.0f}µs({share:.0%})를 줄였습니다. "
        "이제 한 단계에는 큰 곱이 세 개가 아니라 두 개입니다.", us=saved[skip], share=share[skip]))
    made_once = [rung["change"] for rung in rungs[3:]]
    total = sum(saved.get(change, 0) for change in made_once)
    page.paragraph(say(
        "**Arrays made once.** The last three rows change how the loop drives the arithmetic, not the arithmetic: "
        "the batch lands in the same array every step, the update writes `learning_rate * grad` over the "
        "gradient instead of into a new array, and `train_fast` makes every array of the step once, before the "
        "loop, and checks shapes and labels once for the whole data set. Together they save {us:.0f} µs a step "
        "({share:.0%} of chapter 9's loop). They cannot save much more: what is left is the products and the "
        "gather.",
        "**미리 만들어 둔 배열.** 마지막 세 행은 계산이 아니라 루프가 계산을 다루는 방식을 바꿉니다. 배치는 "
        "단계마다 같은 배열에 모이고, 갱신은 `learning_rate * grad`를 새 배열이 아니라 기울기 위에 덮어쓰며, "
        "`train_fast`는 한 단계의 모든 배열을 루프 전에 한 번 만들고 형상과 레이블도 데이터 전체에 대해 한 번만 "
        "검사합니다. 셋을 합쳐 한 단계에 {us:.0f}µs(9장 루프의 {share:.0%})를 줄입니다. 더 줄이기는 어렵습니다. "
        "남은 것은 행렬 곱과 배치 모으기입니다.",
        us=total, share=total / rungs[2]["step_us"]))
    count = data["floor"]["evaluations"]
    page.table([say("evaluation of the train and test sets", "훈련 데이터와 시험 데이터의 평가"),
                say("ms per evaluation (CPU time)", "평가 한 번(ms, CPU 시간)"),
                say("{count} evaluations", "평가 {count}번", count=count)],
               [[EVALUATIONS.get(name, same(name)), same(f"{ms:.0f}"), say("{s:.2f} s", "{s:.2f}초", s=ms * count / 1e3)]
                for name, ms in evaluations.items()]
               + [[say("the matrix products alone", "행렬 곱만"), same(f"{data['products']['evaluation_ms']:.0f}"),
                   say("{s:.2f} s", "{s:.2f}초", s=data["products"]["evaluation_ms"] * count / 1e3)]])
    page.paragraph(say(
        "**Evaluation in chunks.** An evaluation is mostly its matrix products ({share:.0%} of the fast path's). "
        "Chunks of 10,000 rows do not make it faster here; they keep its temporary arrays at 10,000 × 50 numbers "
        "instead of 60,000 × 50, so the memory an evaluation needs no longer grows with the data set. Each "
        "chunk is a view of the data (`x[start:start + chunk_size]`), not a copy. Timed in CPU time: an "
        "evaluation lasts long enough for another job to interrupt it.",
        "**조각으로 나눈 평가.** 평가 시간은 대부분 행렬 곱입니다(빠른 경로에서 {share:.0%}). 10,000행씩 나누어도 "
        "여기서 빨라지지는 않지만, 임시 배열이 60,000 × 50개가 아니라 10,000 × 50개의 수로 줄어 평가에 드는 메모리가 "
        "데이터 크기에 따라 늘지 않습니다. 각 조각은 데이터의 복사본이 아니라 뷰(`x[start:start + chunk_size]`)입니다. "
        "평가 한 번은 다른 작업이 끼어들 만큼 오래 걸리므로 CPU 시간으로 쟀습니다.",
        share=data["products"]["evaluation_ms"] / evaluations["float32, chunks into arrays made once"]))
