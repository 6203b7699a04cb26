"""Full garbage collections wait for an idle moment, then freeze the survivors."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from marimo_tui.tui import idle_gc
from marimo_tui.tui.idle_gc import IdleCollector


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    now = [1000.0]
    monkeypatch.setattr(idle_gc.time, "monotonic", lambda: now[0])
    yield now
    gc.unfreeze()


def test_collects_only_when_idle_and_then_freezes(clock: list[float]) -> None:
    collector = IdleCollector()
    collector.activity()
    clock[0] += idle_gc.IDLE_AFTER / 2
    collector.tick()
    assert collector.collections == 0  # busy a moment ago
    clock[0] += idle_gc.IDLE_AFTER
    gc.unfreeze()
    collector.tick()
    assert collector.collections == 1 and gc.get_freeze_count() > 0
    clock[0] += idle_gc.MIN_GAP * 2
    collector.tick()
    assert collector.collections == 1  # nothing happened since
    collector.activity()
    clock[0] += idle_gc.IDLE_AFTER / 2
    collector.tick()
    assert collector.collections == 1
    clock[0] += idle_gc.IDLE_AFTER
    collector.tick()
    assert collector.collections == 2
    collector.activity()
    clock[0] += idle_gc.IDLE_AFTER * 2  # idle, but the last collection was just now
    collector.tick()
    assert collector.collections == 2


def test_a_cycle_frozen_once_is_freed_at_the_next_idle_collection(clock: list[float]) -> None:
    import weakref

    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a  # type: ignore[attr-defined]
    gone = weakref.ref(a)
    collector = IdleCollector()
    clock[0] += idle_gc.IDLE_AFTER * 2
    collector.tick()  # the live cycle is frozen
    del a, b
    gc.collect()
    assert gone() is not None  # frozen: a collection during work does not walk it
    collector.activity()
    clock[0] += idle_gc.MIN_GAP * 2
    collector.tick()
    assert gone() is None


def test_busy_freezes_young_survivors_and_collects_at_most_a_minute_apart(
    clock: list[float],
) -> None:
    collector = IdleCollector()
    gc.unfreeze()
    kept = [object() for _ in range(1000)]
    collector.activity()
    collector.tick()  # busy: no collection, the survivors frozen
    assert collector.collections == 0 and gc.get_freeze_count() >= len(kept)
    frozen = gc.get_freeze_count()
    clock[0] += idle_gc.FREEZE_EVERY / 2
    collector.activity()
    collector.tick()
    assert gc.get_freeze_count() == frozen  # frozen a moment ago
    for _ in range(int(idle_gc.BUSY_LIMIT / idle_gc.CHECK_EVERY)):
        clock[0] += idle_gc.CHECK_EVERY
        collector.activity()
        collector.tick()
    assert collector.collections == 1  # never idle, collected anyway
