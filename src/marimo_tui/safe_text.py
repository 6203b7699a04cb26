"""Text from outside (a notebook, a data file, a model, a file name, a server) made safe to show.

Every terminal control sequence needs a control character to start it: ESC (0x1b) for the
7-bit forms (CSI `ESC [`, OSC `ESC ]` — window title 0/2, hyperlink 8, clipboard 52 —, DCS
`ESC P`, SOS `ESC X`, PM `ESC ^`, APC `ESC _`, ST `ESC \\`), or a C1 character (0x80–0x9f) for
the 8-bit forms (CSI 0x9b, OSC 0x9d, DCS 0x90, …); BEL, BS, CR and friends act on their own.
So replacing each control character by a printable stand-in defuses every sequence at once,
whole or split across chunks, and leaves the rest of it readable as the plain text it is:

- C0 (0x00–0x1f) becomes its Unicode control picture: ESC `␛`, BEL `␇`, CR `␍`, NUL `␀`, …
- DEL (0x7f) becomes `␡`.
- C1 (0x80–0x9f) becomes `␛` and its 7-bit twin (the standard's own equivalence): CSI 0x9b
  shows as `␛[`, OSC 0x9d as `␛]`, ST 0x9c as `␛\\`.

So `"\\x1b]52;c;aGk=\\x07"` is shown as `␛]52;c;aGk=␇` and nothing reaches the clipboard.
Newlines and tabs are kept where a multi-line view wants them (`keep`); CRLF counts as a
newline. Colours in cell output are the one exception: `visible_ansi` keeps SGR sequences
(`ESC [ … m`, colours and text styles only) for rich's ANSI decoder, and shows the rest.

No import of textual or rich here: the core (runtime, CLI) uses it too. Untrusted text must
also never be parsed as Textual/rich markup; that is the views' part (plain `Content`/`Text`,
`markup=False`).
"""

from __future__ import annotations

import re

MULTILINE = "\n\t"  # what a multi-line view keeps by default

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_ESC = "␛"  # U+241B SYMBOL FOR ESCAPE
_STAND_INS: dict[str, str] = {chr(code): chr(0x2400 + code) for code in range(0x20)}
_STAND_INS["\x7f"] = "␡"
_STAND_INS.update({chr(code): _ESC + chr(code - 0x40) for code in range(0x80, 0xA0)})
# Select Graphic Rendition: colours and styles, nothing that moves, queries or writes.
_SGR = r"\x1b\[[0-9;:]*m"
_PATTERNS: dict[tuple[str, bool], re.Pattern[str]] = {}


def _pattern(keep: str, colours: bool = False) -> re.Pattern[str]:
    """The control characters not in `keep` (one regex pass finds them; the rest of the text
    is copied by the regex engine, not by Python); with `colours`, SGR sequences too."""
    pattern = _PATTERNS.get((keep, colours))
    if pattern is None:
        chars = "".join(re.escape(ch) for ch in _STAND_INS if ch not in keep)
        pattern = re.compile(f"({_SGR})|[{chars}]" if colours else f"[{chars}]")
        _PATTERNS[keep, colours] = pattern
    return pattern


def _stand_in(match: re.Match[str]) -> str:
    return _STAND_INS[match.group()]


def _colour_or_stand_in(match: re.Match[str]) -> str:
    return match.group(1) or _STAND_INS[match.group()]


def visible(text: str, keep: str = MULTILINE) -> str:
    """`text` with every control character shown as a printable stand-in, except those in
    `keep` (by default newline and tab). Nothing in the result can act on a terminal."""
    if "\n" in keep and "\r\n" in text:
        text = text.replace("\r\n", "\n")
    pattern = _pattern(keep)
    return pattern.sub(_stand_in, text) if pattern.search(text) else text


def one_line(text: str) -> str:
    """For one-line places (a file name in a list, a title, a table cell): newlines and tabs
    are shown too (`␊`, `␉`), so one entry can never look like two."""
    return visible(text, "")


def visible_ansi(text: str, keep: str = MULTILINE) -> str:
    """Like `visible`, but SGR sequences (`ESC [ 1;31 m`: colours, bold…) stay for an ANSI
    decoder to turn into styles; every other sequence is shown, not kept."""
    if "\x1b" not in text:
        return visible(text, keep)
    if "\n" in keep and "\r\n" in text:
        text = text.replace("\r\n", "\n")
    return _pattern(keep, colours=True).sub(_colour_or_stand_in, text)


def last_redraw(line: str) -> str:
    """What a terminal shows of a line that redraws itself with CR (progress bars): the last
    state, not every frame side by side."""
    if "\r" not in line:
        return line
    parts = [part for part in line.split("\r") if part]
    return parts[-1] if parts else ""


def console_text(text: str) -> str:
    """Console output (a cell's stdout/stderr, a run's log) for an ANSI decoder: each line's
    last redraw, colours kept, every other control shown."""
    if "\r" in text:
        text = "\n".join(last_redraw(line) for line in text.replace("\r\n", "\n").split("\n"))
    return visible_ansi(text)


def is_visible(text: str, keep: str = MULTILINE) -> bool:
    """True when `text` holds no control character outside `keep` (nothing to show instead)."""
    return all(ch in keep for ch in _CONTROL.findall(text))


def only_colours(text: str, keep: str = MULTILINE) -> bool:
    """True when the only escape sequences in `text` are SGR (what `visible_ansi` returns)."""
    return is_visible(without_colours(text), keep)


def without_colours(text: str) -> str:
    """`text` less its SGR sequences (colours, bold…)."""
    return re.sub(_SGR, "", text)


_JSON_UNESCAPED = re.compile(r"[\x7f-\x9f]")


def json_safe(text: str) -> str:
    """JSON text from `json.dumps(..., ensure_ascii=False)` with DEL and C1 escaped too
    (`\\u009b`; json escapes C0 itself): the same data, nothing a terminal acts on."""
    return _JSON_UNESCAPED.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
