"""Learner text made inert: what a submission prints, raises or is named is shown, never obeyed.

Every string that comes from a submission (exception messages, printed output, file and
cell names) passes through `inert` before it reaches a report, results.json or the CSV:
control characters (ANSI escapes, CR, VT, FF), line and paragraph separators, bidi
overrides and lone surrogates are written as visible escapes such as `\\x1b` or `\\u202e`,
so a terminal, an editor or a spreadsheet shows them and never acts on them.
"""
from __future__ import annotations

import unicodedata

# Bidi controls (embeddings, overrides, isolates, marks): they reorder what the reader sees.
BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _unsafe(char: str, keep_newlines: bool) -> bool:
    if char == "\n":
        return not keep_newlines
    # Cc: C0/C1 controls and DEL; Cs: lone surrogates; Zl/Zp: U+2028, U+2029; Cf: format controls
    return unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or char in BIDI or (
        unicodedata.category(char) == "Cf" and char != "\u200d")  # ZWJ keeps emoji whole


def inert(text, *, keep_newlines=False, limit=None) -> str:
    """`text` with every character that could act on a terminal or a reader written as an escape.

    Newlines become a visible `\\n` unless keep_newlines; a backslash stays a backslash (the
    escapes are for the reader, not meant to be decoded). limit: at most this many characters.
    """
    text = text if isinstance(text, str) else str(text)
    if limit is not None and len(text) > limit:
        text = text[:limit] + " ..."
    return "".join(_escape(c) if _unsafe(c, keep_newlines) else c for c in text)


def quoted_lines(text, prefix="    | ") -> list:
    """Learner text as report lines, each behind `prefix`: none can pass for a grader line."""
    return [prefix + inert(line) for line in str(text).split("\n")]


def csv_cell(value):
    """A CSV cell that a spreadsheet shows as text: escaped, and a leading = + - @ tab or CR quoted."""
    if isinstance(value, (int, float)):
        return value
    text = inert(value)
    return "'" + text if text.startswith(CSV_TRIGGERS) else text
