"""Reading a notebook file into the model: decoding, marimo's parse, analysis, stable ids."""

from __future__ import annotations

import codecs
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from marimo_tui.notebook import marimo_adapter as adapter
from marimo_tui.notebook.errors import NotebookError
from marimo_tui.notebook.file_kind import SpecialFileError, read_regular
from marimo_tui.notebook.identity import IdAllocator, match_ids
from marimo_tui.notebook.model import Cell, FileFormat, Notebook, text_hash

if TYPE_CHECKING:
    from marimo_tui.notebook.preview import QuickRead

MAX_BYTES = 64 * 1024 * 1024


def decode(data: bytes, path: Path) -> tuple[str, FileFormat]:
    """Text with LF newlines, and the format to write it back in the same way."""
    source, fmt = decode_source(data, path)
    return (source.replace("\r\n", "\n") if fmt.crlf else source), fmt


def decode_source(data: bytes, path: Path) -> tuple[str, FileFormat]:
    """The file's text as it is (its own line endings), and its format."""
    if b"\x00" in data[:8192]:
        raise NotebookError(path, "binary file, not a marimo notebook")
    bom = data.startswith(codecs.BOM_UTF8)
    if bom:
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise NotebookError(
            path, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})", line
        ) from None
    return text, FileFormat(bom=bom, crlf="\r\n" in text)


def read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise NotebookError(
                path, f"file is {size // 2**20} MiB; notebooks over 64 MiB are refused"
            )
        return read_regular(path)  # a FIFO named x.py must not hang the reader
    except FileNotFoundError:
        raise NotebookError(path, "no such file") from None
    except SpecialFileError as exc:
        raise NotebookError(path, f"is {exc.kind}, not a notebook") from None
    except IsADirectoryError:
        raise NotebookError(path, "is a folder, not a notebook") from None
    except PermissionError:
        raise NotebookError(path, "permission denied") from None
    except OSError as exc:
        raise NotebookError(path, f"cannot read: {exc.strerror or exc}") from None


def read_notebook(path: Path, previous: Notebook | None = None) -> Notebook:
    """Read and parse a notebook; `previous` carries cell ids and analyses over a reload."""
    data = read_bytes(path)
    return parse_notebook(data, path, previous)


# The last quick read of each file followed: the next reads parse only the cells that changed.
LAST_READS = 8
_last_reads: dict[Path, QuickRead] = {}


def preview_notebook(data: bytes, path: Path, previous: Notebook | None = None) -> Notebook | None:
    """A quick read without marimo (for the first frame and for following edits), or None
    when only marimo's parser can tell. Cells whose code is unchanged keep their analysis; the
    others are `pending` until `parse_notebook` runs."""
    from marimo_tui.notebook.preview import quick_reread

    text, fmt = decode(data, path)
    read = quick_reread(text, _last_reads.get(path))
    if read is None:
        _last_reads.pop(path, None)
        return None
    _last_reads[path] = read
    while len(_last_reads) > LAST_READS:
        del _last_reads[next(iter(_last_reads))]
    quick = read.cells
    old_cells = previous.cells if previous is not None else []
    ids = match_ids(old_cells, quick, IdAllocator.after([c.id for c in old_cells]))
    known = {c.code: c for c in old_cells if previous is None or c.id not in previous.pending}
    cells: list[Cell] = []
    pending: set[str] = set()
    for cell_id, qc in zip(ids, quick, strict=True):
        prior = known.get(qc.code)
        if prior is None:
            pending.add(cell_id)
        cells.append(
            Cell(
                id=cell_id,
                code=qc.code,
                name=qc.name,
                kind=qc.kind,
                defs=prior.defs if prior else frozenset(),
                refs=prior.refs if prior else frozenset(),
                lineno=qc.lineno,
                error=prior.error if prior else None,
            )
        )
    return Notebook(
        path=path,
        cells=cells,
        header=previous.header if previous else "",
        app_options=dict(previous.app_options) if previous else {},
        base_hash=text_hash(data),
        fmt=fmt,
        pending=frozenset(pending),
    )


@dataclass(frozen=True, slots=True)
class ParsedSource:
    """What marimo's parser and compiler make of a file: the costly part of reading it (the
    part a worker process can do, `parse_worker`)."""

    source: str  # as it is, with its own line endings
    fmt: FileFormat
    parsed: adapter.ParsedFile
    analyses: dict[str, adapter.Analysis]  # code -> its analysis, for codes not known before


# parse(data, path, codes whose analysis the caller has): the file as marimo reads it
Parser = Callable[[bytes, Path, Collection[str]], ParsedSource]


def parse_source(data: bytes, path: Path, known: Collection[str] = ()) -> ParsedSource:
    source, fmt = decode_source(data, path)
    text = source.replace("\r\n", "\n") if fmt.crlf else source
    parsed = adapter.parse_text(text, path)
    # Only cells whose code changed are compiled again.
    analyses = {pc.code: adapter.analyze(pc.code) for pc in parsed.cells if pc.code not in known}
    return ParsedSource(source, fmt, parsed, analyses)


def parse_notebook(
    data: bytes, path: Path, previous: Notebook | None = None, parse: Parser = parse_source
) -> Notebook:
    old_cells = previous.cells if previous is not None else []
    known = {c.code: c for c in old_cells}
    got = parse(data, path, known.keys())
    parsed = got.parsed
    ids = match_ids(old_cells, parsed.cells, IdAllocator.after([c.id for c in old_cells]))
    cells: list[Cell] = []
    for cell_id, pc in zip(ids, parsed.cells, strict=True):
        prior = known.get(pc.code)
        if prior is not None:
            defs, refs, error = prior.defs, prior.refs, prior.error
        else:
            a = got.analyses[pc.code]
            defs, refs, error = a.defs, a.refs, a.error
        cells.append(
            Cell(
                id=cell_id,
                code=pc.code,
                name=pc.name,
                kind=pc.kind,
                options=pc.options,
                defs=defs,
                refs=refs,
                lineno=pc.lineno,
                error=error,
            )
        )
    return Notebook(
        path=path,
        cells=cells,
        header=parsed.header,
        app_options=parsed.app_options,
        violations=parsed.violations,
        base_hash=text_hash(data),
        fmt=got.fmt,
        source=got.source,
    )
