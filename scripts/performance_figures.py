"""The performance page's two figures, each with its text alternative, in English and Korean.

    figure, alt = run_times_figure(times, floor_seconds, lang)     # the training run, per implementation
    figure, alt = step_profile_figure(profile, products_us, lang)  # where one step's time goes

Each function draws the numbers it is given and writes the same numbers into its alt text, so the
picture and its description cannot disagree. Colours are dark enough for 3:1 against white (WCAG 1.4.11)
and every bar also carries its value as text, so no number is told by colour alone.
"""
import io

from backprop_lib.figures import CourseFigure, fonts_for

# implementation -> colour, hatch (dark: white text on them has 4.5:1)
IMPLEMENTATION_STYLE = {"fast": ("#005a9c", ""), "readable": ("#1b7837", "//"), "pytorch": ("#b2182b", "\\\\")}
PHASE_STYLE = {"gather": ("#8c510a", "//"), "forward": ("#2166ac", ""), "backward": ("#762a83", "\\\\"),
               "update": ("#1b7837", "xx"), "loop": ("#4d4d4d", "")}

WORDS = {
    "en": {"fast": "fast path (train_fast)", "readable": "readable loop (train)", "pytorch": "PyTorch",
           "gather": "gather", "forward": "forward", "backward": "backward", "update": "update", "loop": "rest",
           "wall": "wall time", "cpu": "CPU time", "seconds": "seconds (median; lower is better)",
           "floor": "floor: the matrix products alone, {floor:.1f} s",
           "run_title": "The notes' training run: 10,000 steps and 18 evaluations",
           "us": "microseconds per step (median)", "products": "matrix products alone: {products:.0f} µs",
           "step_title": "Where one step's time goes"},
    "ko": {"fast": "빠른 경로(train_fast)", "readable": "읽기 쉬운 루프(train)", "pytorch": "PyTorch",
           "gather": "배치 모으기", "forward": "순전파", "backward": "역전파", "update": "갱신", "loop": "나머지",
           "wall": "경과 시간", "cpu": "CPU 시간", "seconds": "초(중앙값, 짧을수록 좋음)",
           "floor": "바닥: 행렬 곱만의 시간 {floor:.1f}초",
           "run_title": "강의 노트의 학습 실험: 10,000단계와 평가 18회",
           "us": "한 단계의 마이크로초(중앙값)", "products": "행렬 곱만: {products:.0f}µs",
           "step_title": "한 단계의 시간은 어디에 쓰이는가"},
}

ALT = {
    "run": {
        "en": ("Bar chart of the time of the notes' training run, lower is better. Wall time and CPU time of "
               "each implementation: {bars}. A dashed line marks the floor, the time of the matrix products "
               "alone: {floor:.1f} s.",
               "{name} {wall:.1f} s and {cpu:.1f} s"),
        "ko": ("강의 노트의 학습 실험에 걸린 시간의 막대그래프입니다. 짧을수록 좋습니다. 구현별 경과 시간과 CPU 시간은 "
               "{bars}입니다. 점선은 바닥, 곧 행렬 곱만의 시간 {floor:.1f}초를 나타냅니다.",
               "{name} {wall:.1f}초와 {cpu:.1f}초")},
    "step": {
        "en": ("Stacked bar chart of one training step's time in microseconds, phase by phase: {bars}. A dashed "
               "line marks the matrix products alone: {products:.0f} µs.",
               "{name} {step:.0f} in all (gather {gather:.0f}, forward {forward:.0f}, backward {backward:.0f}, "
               "update {update:.0f}, rest {loop:.0f})"),
        "ko": ("학습 한 단계의 시간을 부분별로 쌓은 막대그래프입니다(단위: 마이크로초). {bars}. 점선은 행렬 곱만의 "
               "시간 {products:.0f}µs를 나타냅니다.",
               "{name} 모두 {step:.0f}(배치 모으기 {gather:.0f}, 순전파 {forward:.0f}, 역전파 {backward:.0f}, "
               "갱신 {update:.0f}, 나머지 {loop:.0f})")},
}

ORDER = ("fast", "readable", "pytorch")


def run_times_figure(times, floor_seconds, lang):
    """Wall and CPU seconds of each implementation (times[name] = (wall, cpu)), and the floor."""
    words = WORDS[lang]
    figure = CourseFigure(figsize=(8, 3.2), layout="constrained")
    figure.lang = lang
    with fonts_for(lang):
        ax = figure.subplots()
        names = [name for name in ORDER if name in times]
        for row, name in enumerate(names):
            colour, hatch = IMPLEMENTATION_STYLE[name]
            wall, cpu = times[name]
            ax.barh(row - 0.2, wall, height=0.38, color=colour, hatch=hatch, edgecolor="white")
            ax.barh(row + 0.2, cpu, height=0.38, color="white", hatch=hatch, edgecolor=colour, linewidth=1.5)
            ax.text(wall, row - 0.2, f" {words['wall']} {wall:.1f}", va="center", fontsize=9)
            ax.text(cpu, row + 0.2, f" {words['cpu']} {cpu:.1f}", va="center", fontsize=9)
        ax.axvline(floor_seconds, color="black", linestyle="--", linewidth=1)
        ax.text(floor_seconds, -0.75, " " + words["floor"].format(floor=floor_seconds), fontsize=9, va="center")
        ax.set_yticks(range(len(names)), [words[name] for name in names])
        ax.set_ylim(len(names) - 0.5, -1.0)  # top to bottom, with a line above the bars for the floor's label
        ax.set_xlim(0, max(wall for wall, _ in times.values()) * 1.35)
        ax.set(xlabel=words["seconds"], title=words["run_title"])
        ax.spines[["top", "right"]].set_visible(False)
    sentence, bar = ALT["run"][lang]
    bars = "; ".join(bar.format(name=words[name], wall=times[name][0], cpu=times[name][1]) for name in names)
    return figure, sentence.format(bars=bars, floor=floor_seconds)


def step_profile_figure(profile, products_us, lang):
    """One step's phases, stacked, for each implementation (profile[name][phase] in µs), and the products."""
    words = WORDS[lang]
    phases = tuple(PHASE_STYLE)
    figure = CourseFigure(figsize=(8, 3.8), layout="constrained")
    figure.lang = lang
    with fonts_for(lang):
        ax = figure.subplots()
        names = [name for name in ORDER if name in profile]
        for row, name in enumerate(names):
            left = 0.0
            for phase in phases:
                width = profile[name][phase]
                colour, hatch = PHASE_STYLE[phase]
                ax.barh(row, width, left=left, height=0.6, color=colour, hatch=hatch, edgecolor="white",
                        label=words[phase] if row == 0 else None)
                if width >= 30:  # room for the number inside the segment
                    ax.text(left + width / 2, row, f"{width:.0f}", ha="center", va="center", color="white",
                            fontsize=9, fontweight="bold",
                            bbox={"facecolor": colour, "edgecolor": "none", "pad": 1})
                left += width
            ax.text(left, row, f" {sum(profile[name][p] for p in phases):.0f} µs", va="center", fontsize=9)
        ax.axvline(products_us, color="black", linestyle="--", linewidth=1)
        ax.text(products_us, -0.45, " " + words["products"].format(products=products_us), fontsize=9)
        ax.set_yticks(range(len(names)), [words[name] for name in names])
        ax.invert_yaxis()
        ax.set_ylim(len(names) - 0.5, -0.7)
        ax.set_xlim(0, max(sum(profile[n][p] for p in phases) for n in names) * 1.15)
        ax.set(xlabel=words["us"], title=words["step_title"])
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=8, ncols=len(phases), frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
    sentence, bar = ALT["step"][lang]
    bars = "; ".join(bar.format(name=words[name], step=sum(profile[name][p] for p in phases),
                                **{p: profile[name][p] for p in phases}) for name in names)
    return figure, sentence.format(bars=bars, products=products_us)


def png(figure):
    """The figure as PNG bytes, without the software version in its metadata: the same figure, the same bytes."""
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=100, metadata={"Software": None})
    return out.getvalue()
