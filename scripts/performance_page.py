"""The performance page's building blocks: messages in two languages, and a page that collects them.

Every sentence, heading, table cell and alt text of book/performance.md is a Message: its English and its
Korean, filled with the same values (`say`). A Page writes the English Markdown and remembers each
message's Korean, which scripts/performance.py writes into the page's catalogue.
"""
from typing import NamedTuple


class Message(NamedTuple):
    english: str
    korean: str


def say(english, korean, **values):
    """One message in both languages, filled with the same values."""
    return Message(english.format(**values), korean.format(**values))


def same(text):
    """A number, a name or raw JSON: its own translation."""
    return Message(str(text), str(text))


class Page:
    """The page's Markdown (English) and the Korean of each message on it, in order."""

    def __init__(self):
        self.lines, self.korean, self.line_of = [], {}, {}
        self.images = {}  # file name (in the page's folder performance/) -> PNG bytes

    def figure(self, name, drawn, caption):
        """A figure drawn in both languages: drawn = {"en": (figure, alt), "ko": (figure, alt)}. Sphinx
        shows NAME.ko.png in the Korean edition (figure_language_filename) and translates the alt text."""
        from performance_figures import png

        stem, suffix = name.rsplit(".", 1)
        self.images[name], self.images[f"{stem}.ko.{suffix}"] = png(drawn["en"][0]), png(drawn["ko"][0])
        alt = self.message(Message(drawn["en"][1], drawn["ko"][1]))
        self.lines += [f"```{{figure}} performance/{name}", f":alt: {alt}", ":width: 100%", "",
                       self.message(caption), "```", ""]

    def message(self, message):
        """The English text to write, after noting its Korean (one msgid has one msgstr)."""
        if not message.english:  # an empty table cell: no message
            return ""
        known = self.korean.setdefault(message.english, message.korean)
        self.line_of.setdefault(message.english, len(self.lines) + 1)
        if known != message.korean:
            raise ValueError(f"{message.english!r} has two translations: {known!r} and {message.korean!r}")
        return message.english

    def paragraph(self, message, markup=""):
        """A paragraph, or a heading with markup="## "."""
        self.lines += [markup + self.message(message), ""]

    def markup(self, *lines):
        """Lines that hold no message (directives, comments)."""
        self.lines += lines

    def table(self, header, rows):
        """A list-table: Sphinx extracts its cells even inside a dropdown, a Markdown table's it does not."""
        if not rows:
            return
        self.lines += ["```{list-table}", ":header-rows: 1", ":widths: auto", ""]
        for row in [header, *rows]:
            cells = [self.message(Message(cell_text(c.english), cell_text(c.korean))) for c in row]
            self.lines += [f"* - {cells[0]}".rstrip()] + [f"  - {cell}".rstrip() for cell in cells[1:]]
        self.lines += ["```", ""]

    def extend(self, other):
        """Another Page's lines and messages, after this one's."""
        for english in other.korean:
            self.line_of.setdefault(english, len(self.lines) + other.line_of[english])
            self.message(Message(english, other.korean[english]))
        self.lines += other.lines
        self.images.update(other.images)


def cell_text(text):
    """A table cell on one line, a leading list or heading marker escaped."""
    text = " ".join(str(text).split())
    return "\\" + text if text[:1] in "-+*#>" and text else text


def fmt(value):
    """A number with a sensible precision."""
    if isinstance(value, int):
        return f"{value:,}"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e6):
        return f"{value:.3e}"
    return f"{value:.4g}"


def machine_sentence(machine):
    """Where and when the numbers were measured (the processor as /proc/cpuinfo names it, and the BLAS
    under each library), and how busy the machine was."""
    blas = f" ({machine['numpy_blas'].replace(' (', ', ').rstrip(')')})" if machine.get("numpy_blas") else ""
    torch = f", PyTorch {machine['torch']}" if "torch" in machine else ""
    torch += f" ({machine['torch_blas']})" if machine.get("torch_blas") else ""
    values = {"cpu": machine.get("cpu") or "?", "cores": machine.get("cores", "?"), "torch": torch,
              "python": machine.get("python", "?"), "numpy": machine.get("numpy", "?") + blas,
              "date": str(machine.get("date", "?")).replace("T", " ").replace("+00:00", " UTC")}
    family = machine.get("cpu_family_model_stepping", "").split("/")
    if len(family) == 3 and machine.get("simd") and machine.get("cache"):
        sentence = say("Measured on {cpu} (family {family}, model {model}, {simd}, {cache} of cache per core), "
                       "{cores} cores, Python {python}, NumPy {numpy}{torch}, on {date}",
                       "{date}에 {cpu}(패밀리 {family}, 모델 {model}, {simd}, 코어당 캐시 {cache}), 코어 {cores}개, "
                       "Python {python}, NumPy {numpy}{torch} 환경에서 측정했습니다",
                       family=family[0], model=family[1], simd=machine["simd"], cache=machine["cache"], **values)
    else:
        sentence = say("Measured on {cpu}, {cores} cores, Python {python}, NumPy {numpy}{torch}, on {date}",
                       "{date}에 {cpu}, 코어 {cores}개, Python {python}, NumPy {numpy}{torch} 환경에서 측정했습니다",
                       **values)
    start, end = machine.get("load_average_at_start"), machine.get("load_average_at_end")
    if start and end:
        busy = say("; load average {start:.1f} at the start and {end:.1f} at the end (a machine shared by "
                   "other jobs, {cores} cores).",
                   ". 다른 작업과 함께 쓰는 기계(코어 {cores}개)이며, 부하 평균은 시작할 때 {start:.1f}, 끝날 때 "
                   "{end:.1f}입니다.", start=start[0], end=end[0], cores=values["cores"])
    elif start:
        busy = say("; load average {load:.1f} at the start (a shared machine).",
                   ". 여럿이 함께 쓰는 기계이며, 시작할 때의 부하 평균은 {load:.1f}입니다.", load=start[0])
    else:
        busy = same(".")
    return Message(sentence.english + busy.english, sentence.korean + busy.korean)
