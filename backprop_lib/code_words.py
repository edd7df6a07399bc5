"""The words in a code cell that a learner reads: its comments and the strings it shows.

The Korean edition's notebooks are the English ones with these words translated from the page's
catalogue (scripts/korean.py); every other token of the code stays as it is, and `same_code` says
so (the tests compare every translated cell; the grader takes a locked cell of a Korean download
as unedited). Found with Python's own tokenizer:

- comments, except the notebook tests' markers (`# NBVAL_...`) and the linters' (`# noqa`);
  consecutive comment lines are one message, one line of it per line;
- strings with words in them (adjacent strings, which Python joins, are one message, one line per
  string): two words or more ("W after one step", a print's f-string, an exception's message, a
  docstring); or one word when a print shows it, a graph's Node is labelled with it, or it stands
  in a list or tuple beside such strings (a table's row, a list of class names).
  Never a dict's key, an index (`grads["W1"]`), a string compared with another (`mode == "train"`),
  an option (`over="ignore"`), nor a word of math or of the course's notation (exp, dx, dW).

A message is the text between the quotes as it is written (escapes such as \\n included), so that
its translation goes back between the same quotes; an f-string's {fields} and a %-format's %.4f stay.
"""
import io
import keyword
import re
import tokenize
from dataclasses import dataclass

# Comments that are instructions to tools, not to the reader.
_MARKER = re.compile(r"#\s*(NBVAL_\w+|noqa\b|type:|pragma\b|fmt:)")
# A word a reader reads: two letters or more, not part of a name (x_train, np.sum), a path or TeX.
_WORD = re.compile(r"(?<![\w.\\/$])[A-Za-z]{2,}(?:['’-][A-Za-z]+)*(?![\w(/$=]|\.\w)")
_MATH_WORDS = {"exp", "log", "ln", "max", "min", "sum", "mean", "sqrt", "tanh", "sin", "cos", "abs", "argmax"}
_NOTATION = re.compile(r"d[A-Z]\w*|d[xyzabthw]")  # dW, dX, dL, dx, dy: the notation page's gradients
_LABEL_CALLS = {"Node", "check"}  # their first argument is a label: a graph's node, a visible check
_TEXT_KEYWORDS = {"title", "label", "xlabel", "ylabel", "message", "msg", "hint", "description", "desc"}
_STRING_PREFIX = re.compile(r"^([rRbBuUfF]*)('''|\"\"\"|'|\")")


_FIELD = re.compile(r"\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}")  # {name}, {value:.3g}, {x:{width}}
_PERCENT = re.compile(r"%(?:\([^)]*\))?[-+ #0]*\d*(?:\.\d+)?[sdrifgeExXoc%]")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def fields(text):
    """What a translation of a string must keep, in any order: its {fields} (a string inside one,
    {'node':9}, may be translated) and its %-formats (%.4f)."""
    plain = text.replace("{{", "").replace("}}", "")
    return sorted([_QUOTED.sub("''", f) for f in _FIELD.findall(plain)] + _PERCENT.findall(plain))


def words(text):
    """The words of `text` a reader reads (not math, names or notation)."""
    return [w for w in _WORD.findall(text) if w.lower() not in _MATH_WORDS and not _NOTATION.fullmatch(w)]


@dataclass
class Piece:
    """One message of a cell: a comment block or a (joined) string, and where its parts are."""

    kind: str  # "comment" or "string"
    parts: list  # the tokens (tokenize.TokenInfo) it is made of, one line of the message each
    texts: list  # each part's text: a comment after "# ", a string between its quotes
    whole_line: bool = False  # a comment on a line of its own (the next such line joins it)

    @property
    def text(self):
        return "\n".join(self.texts)


def _split_string(token):
    """(prefix + opening quote, text, closing quote) of a STRING token."""
    match = _STRING_PREFIX.match(token)
    head = match.group(0)
    return head, token[len(head):len(token) - len(match.group(2))], match.group(2)


def _split_comment(token):
    """("# ", text) of a COMMENT token: the marker and the space after it, then the text."""
    match = re.match(r"#+\s*", token)
    return token[:match.end()], token[match.end():]


def _tokens(source):
    return list(tokenize.generate_tokens(io.StringIO(source).readline))


_SKIP = {tokenize.NL, tokenize.COMMENT}


def pieces(source):
    """Every message of a code cell's source, in order. A cell that Python cannot tokenize (an
    IPython command, a syntax error) has none: it stays as it is."""
    try:
        tokens = _tokens(source)
    except (tokenize.TokenError, SyntaxError, ValueError):
        return []
    found = _comment_pieces(tokens) + _string_pieces(tokens)
    return sorted(found, key=lambda piece: piece.parts[0].start)


def _comment_pieces(tokens):
    found = []
    for index, token in enumerate(tokens):
        if token.type != tokenize.COMMENT or _MARKER.match(token.string):
            continue
        text = _split_comment(token.string)[1]
        whole_line = token.line[:token.start[1]].strip() == ""
        previous = found[-1] if found else None
        if (whole_line and previous and previous.parts[-1].start[0] == token.start[0] - 1
                and previous.parts[-1].start[1] == token.start[1] and previous.whole_line):
            previous.parts.append(token)  # the next line of a comment block
            previous.texts.append(text)
            continue
        found.append(Piece("comment", [token], [text], whole_line))
    return [piece for piece in found if any(words(text) for text in piece.texts)]


def _string_pieces(tokens):
    """The strings a learner reads (see the module's docstring), with their context."""
    significant = [t for t in tokens if t.type not in _SKIP]
    groups, stack, containers = [], [], {}
    i = 0
    while i < len(significant):
        token = significant[i]
        if token.type == tokenize.OP and token.string in "([{":
            before = significant[i - 1] if i else None
            stack.append({"open": token.string, "before": before, "first": i + 1, "id": i,
                          "parent": stack[-1] if stack else None})
        elif token.type == tokenize.OP and token.string in ")]}":
            if stack:
                stack.pop()
        elif token.type == tokenize.STRING:
            j = i
            while j + 1 < len(significant) and significant[j + 1].type == tokenize.STRING:
                j += 1
            group = {"parts": significant[i:j + 1], "before": significant[i - 1] if i else None,
                     "after": significant[j + 1] if j + 1 < len(significant) else None,
                     "inside": stack[-1] if stack else None, "index": i,
                     "keyword": significant[i - 2].string if i >= 2 else None}
            groups.append(group)
            if stack:
                containers.setdefault(stack[-1]["id"], []).append(group)
            i = j
        i += 1
    found = []
    for group in groups:
        heads = [_split_string(t.string) for t in group["parts"]]
        if any("b" in head[0].lower() for head in heads):
            continue  # bytes
        texts = [text for _, text, _ in heads]
        if len(texts) > 1 and any("\n" in text for text in texts):  # joined triple-quoted strings: one by one
            found += [Piece("string", [t], [x]) for t, x in zip(group["parts"], texts) if _reads(group, [x], containers)]
        elif _reads(group, texts, containers):
            found.append(Piece("string", group["parts"], texts))
    return found


def _is_call(bracket):
    """A "(" that calls something, or a "[" that indexes something (not a tuple or list display)."""
    before = bracket["before"]
    if before is None:
        return False
    if before.type == tokenize.NAME:
        return not keyword.iskeyword(before.string) or before.string in ("True", "False", "None")
    return before.type == tokenize.STRING or before.string in (")", "]")


def _called(bracket):
    """The name a call is made through (print, Node, ValueError), or None."""
    before = bracket["before"] if bracket and bracket["open"] == "(" else None
    return before.string if before is not None and before.type == tokenize.NAME else None


def _text_of(texts):
    """A string's words: without an f-string's fields (but with the strings in them) or TeX."""
    joined = " ".join(texts)
    joined = _FIELD.sub(lambda field: " ".join(_QUOTED.findall(field.group(0))) or " ", joined)
    return re.sub(r"\$[^$]*\$", " ", joined)


def _reads(group, texts, containers):
    """True when the learner reads the string: see the module's docstring."""
    inside, before, after = group["inside"], group["before"], group["after"]
    if after is not None and after.string == ":" and inside and inside["open"] == "{":
        return False  # a dict's key
    if inside and inside["open"] == "[" and _is_call(inside):
        return False  # an index
    comparisons = {"==", "!=", "in", "not", "is"}
    if (before is not None and before.string in comparisons) or (after is not None and after.string in comparisons):
        return False
    found = words(_text_of(texts))
    keyword_arg = (before is not None and before.string == "=" and inside and inside["open"] == "("
                   and group["index"] >= 2)
    if keyword_arg:
        return bool(found) and (len(found) >= 2 or _keyword_name(group) in _TEXT_KEYWORDS)
    if len(found) >= 2:
        return True
    if not found:
        return _beside_prose(group, containers) and bool(re.search("[A-Za-z]{2}", " ".join(texts)))
    statement = (before is None or before.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
                 or before.string == ":") and (after is None or after.type in (tokenize.NEWLINE, tokenize.ENDMARKER))
    called = _called(inside)
    if statement or called == "print" or (called or "").endswith(("Error", "Exception", "Warning")):
        return True
    if called in _LABEL_CALLS and inside["first"] == group["index"]:
        return True
    return _beside_prose(group, containers)


def _keyword_name(group):
    """The keyword of `name="..."` (the token before "=")."""
    return group["keyword"]


def _is_display(bracket):
    return bracket is not None and bracket["open"] in "([" and not _is_call(bracket)


def _outermost_display(bracket):
    """The list or tuple a display is part of, through displays nested in displays (a table's rows)."""
    while _is_display(bracket["parent"]):
        bracket = bracket["parent"]
    return bracket


def _beside_prose(group, containers):
    """A string in a list or tuple display (or in a row of a table of them) that also holds a string
    of two words or more."""
    inside = group["inside"]
    if not _is_display(inside):
        return False
    table = _outermost_display(inside)["id"]
    return any(len(words(_text_of([_split_string(t.string)[1] for t in other["parts"]]))) >= 2
               for others in containers.values() for other in others
               if other is not group and _is_display(other["inside"])
               and _outermost_display(other["inside"])["id"] == table)


def translate(source, translation):
    """The cell's source with each message replaced by `translation(message)` (None: kept as it is).
    A translation has as many lines as the message: line k goes where part k was."""
    replacements = []
    for piece in pieces(source):
        korean = translation(piece.text)
        if not korean:
            continue
        lines = korean.split("\n") if len(piece.parts) > 1 else [korean]
        if len(lines) != len(piece.parts):
            raise ValueError(f"the translation of {piece.text!r} has {len(lines)} line(s); "
                             f"expected {len(piece.parts)}, one per line of the English")
        for token, line in zip(piece.parts, lines):
            if piece.kind == "comment":
                new = _split_comment(token.string)[0] + line
            else:
                head, _, tail = _split_string(token.string)
                new = head + line + tail
            replacements.append((token.start, token.end, new))
    return _replace(source, replacements)


def _replace(source, replacements):
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    result, position = [], 0
    for (row, col), (end_row, end_col), new in sorted(replacements):
        start, end = offsets[row - 1] + col, offsets[end_row - 1] + end_col
        result += [source[position:start], new]
        position = end
    return "".join(result + [source[position:]])


def code_tokens(source):
    """The tokens of the code that no translation may change: every token but comments and the
    strings a learner reads (those count only as "a comment" or "a string" in their place)."""
    tokens = _tokens(source)
    translatable = {id(token) for piece in pieces(source) for token in piece.parts}
    kept = []
    for token in tokens:
        if token.type == tokenize.COMMENT and not _MARKER.match(token.string):
            kept.append((tokenize.COMMENT, "#"))
        elif id(token) in translatable:
            kept.append((tokenize.STRING, _split_string(token.string)[0]))
        elif token.type not in (tokenize.NL,):
            kept.append((token.type, token.string))
    return kept


def same_code(english, translated):
    """True when `translated` is `english` with only its comments and learner-read strings changed.
    Both must tokenize; the learner-read strings are those of the English."""
    try:
        translatable = {(t.start, t.end) for piece in pieces(english) for t in piece.parts}
        ours, theirs = _tokens(english), _tokens(translated)
    except (tokenize.TokenError, SyntaxError, ValueError):  # not Python (a learner's text): not the same
        return False
    ours = [t for t in ours if t.type != tokenize.NL]
    theirs = [t for t in theirs if t.type != tokenize.NL]
    if len(ours) != len(theirs):
        return False
    for a, b in zip(ours, theirs):
        if a.type != b.type:
            return False
        if a.type == tokenize.COMMENT and not _MARKER.match(a.string):
            continue
        if a.type == tokenize.STRING and (a.start, a.end) in translatable:
            (head, text, _), (other_head, other_text, _) = _split_string(a.string), _split_string(b.string)
            if head != other_head or fields(text) != fields(other_text):
                return False  # the same kind of string (f, r), the same quotes, the same fields
            continue
        if a.string != b.string:
            return False
    return True
