"""The one sanitizer (`marimo_tui.safe_text`): every class of terminal sequence, in its 7-bit and
8-bit forms, whole and split across chunks, is shown as printable text and never kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.text import Text

from marimo_tui.safe_text import (
    console_text,
    is_visible,
    one_line,
    only_colours,
    visible,
    visible_ansi,
)

ESC, BEL, ST = "\x1b", "\x07", "\x1b\\"

# name -> (raw sequence, how it is shown)
SEQUENCES: dict[str, tuple[str, str]] = {
    "osc0-title": (f"{ESC}]0;pwned{BEL}", "␛]0;pwned␇"),
    "osc2-title-st": (f"{ESC}]2;pwned{ST}", "␛]2;pwned␛\\"),
    "osc8-link": (
        f"{ESC}]8;;http://x.test{ST}click{ESC}]8;;{ST}",
        "␛]8;;http://x.test␛\\click␛]8;;␛\\",
    ),
    "osc52-clipboard": (f"{ESC}]52;c;cm0gLXJmIH4K{BEL}", "␛]52;c;cm0gLXJmIH4K␇"),
    "csi-clear": (f"{ESC}[2J{ESC}[H", "␛[2J␛[H"),
    "csi-cursor": (f"{ESC}[10;20H{ESC}[5A", "␛[10;20H␛[5A"),
    "csi-sgr": (f"{ESC}[31mred{ESC}[0m", "␛[31mred␛[0m"),
    "dcs-tmux-passthrough": (f"{ESC}Ptmux;{ESC}{ESC}]0;x{BEL}{ST}", "␛Ptmux;␛␛]0;x␇␛\\"),
    "dcs-decrqss": (f"{ESC}P$qm{ST}", "␛P$qm␛\\"),
    "apc": (f"{ESC}_Gf=100;AAAA{ST}", "␛_Gf=100;AAAA␛\\"),
    "pm": (f"{ESC}^private{ST}", "␛^private␛\\"),
    "sos": (f"{ESC}Xstring{ST}", "␛Xstring␛\\"),
    "lone-esc": (f"a{ESC}b{ESC}", "a␛b␛"),
    "ris-reset": (f"{ESC}c", "␛c"),
    "c1-csi": ("\x9b2J", "␛[2J"),
    "c1-osc": ("\x9d0;pwned\x9c", "␛]0;pwned␛\\"),
    "c1-dcs": ("\x90q\x9c", "␛Pq␛\\"),
    "c1-apc-pm-sos": ("\x9fa\x9c\x9eb\x9c\x98c\x9c", "␛_a␛\\␛^b␛\\␛Xc␛\\"),
    "c1-nel": ("a\x85b", "a␛Eb"),
    "bell-backspace-del": (f"x{BEL}\x08\x7f", "x␇␈␡"),
    "nul-and-friends": ("\x00\x0b\x0c\x0e\x1a\x1c\x1f", "␀␋␌␎␚␜␟"),
    "lone-cr": ("abc\rxyz", "abc␍xyz"),
}


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_every_sequence_is_shown_not_kept(name: str) -> None:
    raw, shown = SEQUENCES[name]
    text = f"before {raw} after"
    assert visible(text) == f"before {shown} after"
    assert is_visible(visible(text))
    assert is_visible(one_line(text), keep="")
    # Not even SGR survives `visible`: only the colour-keeping variant keeps it.
    assert "\x1b" not in visible(text) and "\x9b" not in visible(text)


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_colour_keeping_variant_keeps_only_sgr(name: str) -> None:
    raw, shown = SEQUENCES[name]
    kept = visible_ansi(f"{raw}\n{raw}")
    assert only_colours(kept)
    if name == "csi-sgr":
        assert kept == f"{raw}\n{raw}"
    else:
        assert kept == f"{shown}\n{shown}"


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_a_sequence_split_across_chunks_is_shown_the_same(name: str) -> None:
    raw, _ = SEQUENCES[name]
    text = f"<{raw}>"
    whole = visible(text)
    for cut in range(len(text) + 1):
        assert visible(text[:cut]) + visible(text[cut:]) == whole, cut


def test_newlines_and_tabs_stay_where_lines_are_expected() -> None:
    assert visible("a\tb\nc\r\nd") == "a\tb\nc\nd"
    assert one_line("a\tb\nc") == "a␉b␊c"
    assert visible("a\nb", keep="") == "a␊b"


def test_clean_text_is_returned_as_it_is() -> None:
    text = "plain ünïcode → ok [b]not markup[/b] \\x1b"
    assert visible(text) is text
    assert one_line(text) is text


def test_console_text_keeps_colours_and_the_last_redraw() -> None:
    raw = f"{ESC}[1;32mok{ESC}[0m 10%\r 50%\r100%{ESC}]0;t{BEL}\nnext"
    assert console_text(raw) == "100%␛]0;t␇\nnext"  # a terminal shows the last state
    assert console_text(f"{ESC}[1;32mok{ESC}[0m") == f"{ESC}[1;32mok{ESC}[0m"
    rendered = Text.from_ansi(console_text(f"{ESC}[31mred{ESC}[0m {ESC}]52;c;eA=={BEL}"))
    assert rendered.plain == "red ␛]52;c;eA==␇"
    assert [(s.start, s.end) for s in rendered.spans] == [(0, 3)]


def test_rich_decoder_sees_only_sgr() -> None:
    """rich's AnsiDecoder would turn an OSC 8 into a live link style: it never gets one."""
    raw = f"{ESC}]8;;http://x.test{ST}link{ESC}]8;;{ST} {ESC}[4munder{ESC}[0m"
    rendered = Text.from_ansi(visible_ansi(raw))
    assert all(span.style and not getattr(span.style, "link", None) for span in rendered.spans)
    assert "␛]8;;http://x.test␛\\link" in rendered.plain


def test_json_safe_escapes_what_json_leaves_raw() -> None:
    import json

    from marimo_tui.safe_text import json_safe

    value = {"text": "a\x1b]0;t\x07 \x9b2J \x7f é"}
    dumped = json_safe(json.dumps(value, ensure_ascii=False))
    assert is_visible(dumped, keep="") and "é" in dumped
    assert json.loads(dumped) == value


def test_headless_agent_prints_no_sequence() -> None:
    """`marimo-tui agent`: the answer, tool lines and `--json` events carry none."""
    import io
    import json

    from marimo_tui.agent import events as ev
    from marimo_tui.agent.headless import PlainPrinter, _json_listener

    evil = "".join(raw for raw, _ in SEQUENCES.values())
    events: list[ev.AgentEvent] = [
        ev.TurnStarted("t", evil, evil, evil, replay=True),
        *(ev.TextDelta(ch) for ch in f"answer {evil}\n"),  # split at every character
        ev.ToolCalled("c", evil, {"code": evil}),
        ev.ToolFinished("c", evil, False, evil, evil),
        ev.AgentWarning(evil),
        ev.TaskUpdated("t1", evil, evil),
        ev.TurnEnded("t", "error", error=evil),
    ]
    out, err, lines = io.StringIO(), io.StringIO(), io.StringIO()
    printer, listener = PlainPrinter(out, err), _json_listener(lines)
    for event in events:
        printer(event)
        listener(event)
    assert is_visible(out.getvalue()) and is_visible(err.getvalue())
    assert "answer ␛]0;pwned␇" in out.getvalue()
    assert is_visible(lines.getvalue())
    assert json.loads(lines.getvalue().splitlines()[-1])["error"] == evil


def test_cli_output_shows_sequences(tmp_path: Path) -> None:
    """What the CLI prints (here `doctor` on a notebook with a hostile name) keeps our colours
    and shows every other sequence."""
    from click.testing import CliRunner

    from marimo_tui.cli import main

    name = "x\x1b]0;PWNED\x07\x9b2J.py"
    (tmp_path / name).write_text("not a notebook\n")
    runner = CliRunner()
    result = runner.invoke(main, ["doctor", str(tmp_path / name)], color=True)
    assert "␛]0;PWNED␇␛[2J" in result.output, result.output
    assert only_colours(result.output) and "\x1b[" in result.output
