"""The cells of the runs pane's two tables (runs, assets) and the run screen's header: status in
colour, durations, step counts, staleness, partition counts, check results. All plain `Text`:
every string here comes from Dagster or a project and is shown, never parsed as markup."""

from __future__ import annotations

import time

from rich.text import Text

from marimo_tui.dagster.model import AssetStatus, PartitionCounts, RunStats
from marimo_tui.safe_text import one_line

STATUS_STYLE = {
    "SUCCESS": "bold green",
    "FAILURE": "bold red",
    "CANCELED": "yellow",
    "CANCELING": "yellow",
    "STARTED": "bold cyan",
    "STARTING": "cyan",
    "QUEUED": "magenta",
    "NOT_STARTED": "dim",
}
# One column wide, for a pane a few dozen columns wide (the workbench gives it a fifth).
STATUS_GLYPH = {
    "SUCCESS": "✓",
    "FAILURE": "✗",
    "CANCELED": "⊘",
    "CANCELING": "⊘",
    "STARTED": "▶",
    "STARTING": "▷",
    "QUEUED": "…",
    "NOT_STARTED": "·",
}
STALE = {"FRESH": ("●", "green"), "STALE": ("◐", "yellow"), "MISSING": ("○", "dim")}
CHECK_OK = frozenset({"SUCCEEDED"})
CHECK_BAD = frozenset({"FAILED", "EXECUTION_FAILED"})


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}s" if seconds < 10 else f"{seconds:.0f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def ago_text(stamp: float | None, now: float) -> str:
    """How long ago, in at most five columns: `12s`, `4m`, `3h`, `2d`."""
    if stamp is None:
        return "never"
    seconds = max(0, int(now - stamp))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def status_text(status: str, *, short: bool = False) -> Text:
    style = STATUS_STYLE.get(status, "")
    if short:
        return Text(STATUS_GLYPH.get(status, "?"), style=style)
    return Text(one_line(status.lower()), style=style)


def steps_text(stats: RunStats | None) -> Text:
    if stats is None:
        return Text("")
    text = Text(f"✓{stats.steps_succeeded}", style="green")
    if stats.steps_failed:
        text.append(f" ✗{stats.steps_failed}", style="red")
    return text


def cut(text: str, width: int) -> Text:
    """One line of `text` in at most `width` columns, an ellipsis where it was cut."""
    line = one_line(text)
    if width > 0 and len(line) > width:
        line = line[: max(0, width - 1)] + "…"
    return Text(line)


def cut_key(text: str, width: int) -> Text:
    """An asset key (or a run's keys, or a job) in `width` columns: what tells keys apart is
    their end, so the leading parts of a path go first (`…/orders`), then the end is cut."""
    line = one_line(text)
    if len(line) <= width:
        return Text(line)
    first, *others = line.split(", ")  # a run of several assets: the first and how many more
    more = f" +{len(others)}" if others else ""
    if "/" in first and len(first) + len(more) > width:
        first = "…/" + first.rsplit("/", 1)[1]
    room = max(1, width - len(more))
    return Text(cut(first, room).plain + more)


def started_text(stamp: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(stamp))


def stale_text(status: AssetStatus, *, short: bool = False) -> Text:
    glyph, style = STALE.get(status.stale or "", ("?", "dim"))
    word = (status.stale or "unknown").lower()
    return Text(glyph if short else f"{glyph} {word}", style=style)


def partitions_text(counts: PartitionCounts | None) -> Text:
    """`5/7 ✗1 ▶1`: materialized of all, then failed and materializing when there are any
    (missing is what is left)."""
    if counts is None:
        return Text("–", style="dim")
    text = Text(f"{counts.materialized}/{counts.total}")
    if counts.failed:
        text.append(f" ✗{counts.failed}", style="red")
    if counts.materializing:
        text.append(f" ▶{counts.materializing}", style="cyan")
    return text


def detail_text(status: AssetStatus) -> Text:
    """Partition counts, then check results, in one cell (for a narrow pane)."""
    parts = partitions_text(status.partitions) if status.partitions else Text()
    checks = checks_text(status)
    if parts and checks:
        parts.append(" ")
    parts.append_text(checks)
    return parts if parts else Text("–", style="dim")


def checks_text(status: AssetStatus) -> Text:
    """`✓1 ✗1 ?1`: checks passed, failed, not run (or in progress) at the latest materialization."""
    if not status.checks:
        return Text("")
    ok = sum(c.status in CHECK_OK for c in status.checks)
    bad = sum(c.status in CHECK_BAD for c in status.checks)
    other = len(status.checks) - ok - bad
    text = Text()
    for count, mark, style in ((ok, "✓", "green"), (bad, "✗", "red"), (other, "?", "dim")):
        if count:
            text.append(f"{' ' if text else ''}{mark}{count}", style=style)
    return text
