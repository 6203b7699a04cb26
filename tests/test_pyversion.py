"""Which Python a cell needs (`notebook.pyversion`): newer syntax told from real syntax errors.

The cases are checked against real interpreters where they are installed: every positive case
must compile on the Python we name (and not on the one before), every negative case on none.
"""

from __future__ import annotations

import glob
import json
import os
import random
import shutil
import subprocess
import sys
import time
from functools import cache
from pathlib import Path

import pytest

from marimo_tui.notebook.pyversion import (
    RUNNING,
    cell_requirement,
    compiles,
    is_requirement,
    required_python,
    requirement_message,
)

PY312, PY313, PY314 = (3, 12), (3, 13), (3, 14)

# (code, the lowest Python that compiles it)
NEWER: list[tuple[str, tuple[int, int]]] = [
    # PEP 695: type aliases and type parameters
    ("type Vec = list[float]", PY312),
    ("type Pair[T] = tuple[T, T]", PY312),
    ("type Num[T: (int, float)] = list[T]; x = 1", PY312),
    ("def first[T](xs: list[T]) -> T:\n    return xs[0]", PY312),
    ("class Box[T]:\n    value: T", PY312),
    ("class C[T]: ...", PY312),
    ("async def f[T](x: T) -> T:\n    return await g(x)", PY312),
    (
        "def call[**P, R](f: Callable[P, R], *a: P.args, **k: P.kwargs) -> R:\n"
        "    return f(*a, **k)",
        PY312,
    ),
    ("def tup[*Ts](*args: *Ts) -> tuple[*Ts]:\n    return args", PY312),
    (
        "class Stack[T: Hashable](Base, metaclass=Meta):\n    def push(self, x: T) -> None: ...",
        PY312,
    ),
    (
        "class Outer:\n    type Inner[T] = dict[str, T]\n    def m[U](self, u: U) -> U:\n"
        "        return u",
        PY312,
    ),
    ("import math\n\n@cache\ndef area[T: float](r: T) -> T:\n    return math.pi * r * r", PY312),
    (
        "def outer():\n    x = 1\n    def inner[T](y: T) -> T:\n"
        "        nonlocal x\n        return y\n    return inner",
        PY312,
    ),
    ("def f[T](x=(y := 1)): pass", PY312),  # a default is not in the annotation scope
    # PEP 701: f-strings
    ('names = ["a", "b"]\nf"{", ".join(names)}"', PY312),
    ("f\"{'\\n'.join(lines)}\"", PY312),
    ('msg = f"{x  # the value\n}"', PY312),
    ('f"{f"{f"{x}"}"}"', PY312),
    ('print(f"{\n    ", ".join(a)\n}")', PY312),
    ('label = "plain " f"{", ".join(x)}" " tail"', PY312),
    ('async def g():\n    return f"{await h(", ")}"', PY312),
    ('for i in range(3):\n    print(f"{i:{"<"}{10}}")', PY312),
    ('x = f"{a["key"]!r:>10}"', PY312),
    ('df.query(f"{col} == {values["x"]}")\nresult = 1', PY312),
    ('y = 1\u00a0+ 1\nf"{", ".join(["a"])!r}" if y else 0', PY312),  # marimo: nbsp -> space
    # PEP 696: type parameter defaults
    ("def f[T = int](): pass", PY313),
    ("type Pair[T, U = int] = tuple[T, U]", PY313),
    ("def tup[*Ts = *tuple[int]](*a: *Ts) -> None: ...", PY313),
    ("class C[T = str, **P = [int]]: ...", PY313),
    # 3.12 refuses a lambda or comprehension in an annotation scope right in a class body
    ('class C:\n    T = "class"\n    type Alias = lambda: T', PY313),
    ("class C[T]:\n    def meth[U](self, x: (T for _ in (1,))): ...", PY313),
    # PEP 750: t-strings; PEP 758: except without parentheses
    ('name = "x"\ntemplate = t"hello {name!r:>10}"', PY314),
    ('print(t"{x}")', PY314),
    ("try:\n    risky()\nexcept ValueError, TypeError:\n    pass", PY314),
    ("try:\n    risky()\nexcept* ValueError, TypeError:\n    pass", PY314),
    ("type X = int\ntry:\n    pass\nexcept A, B:\n    pass", PY314),
]

# Invalid on every Python: the answer must be None.
BROKEN: list[str] = [
    "x = (1 +",
    "def f(:\n    pass",
    "print 'hello'",
    "return 5\ntype X = int",  # a real error beside a newer construct
    'x = (1 +\nf"{", ".join(a)}"',
    'nonlocal x\nf"{", ".join(a)}"',
    "def f[T, T](): pass",  # duplicate type parameter
    "def f[](): pass",
    "def f[T = int, U](): pass",  # non-default after default
    "def f[T = int, *Ts](): pass",
    "def f[T = *int](): pass",
    "def f[*Ts: int](): pass",  # bound on a TypeVarTuple
    "def f[T: (yield)](): pass",
    "type X = (yield)",
    "type X = (y := 1)",
    "async def g():\n    type X = await y",
    "def f[T]() -> (yield): pass",
    "class C[T](await x): pass",
    "def outer():\n    X = 1\n    def inner[X]():\n        nonlocal X\n    return X",
    "def f[T]():\n    def g():\n        nonlocal T",
    "type X.y = int",
    "type X = *a",
    'f"{x}" = 1',
    'del f"{", ".join(a)}"',
    'for f"{"x"}" in y: pass',
    'match x:\n    case f"{"y"}": pass',
    'f"{lambda x: 1}" f"{"a"}"',
    'f"{x!z}" f"{"a"}"',
    'f"{*x}"',
    'f"{ }" f"{"a"}"',
    'f"{x}}" f"{"a"}"',
    'f"{x:{y:{z:{w}}}}"',
    'f"\\N{NOT A NAME}{"x"}"',
    'b"a" f"{"x"}"',
    't"{x}" "plain"',
    'f"{x}" t"{y}"',
    "try:\n    pass\nexcept A, B as e:\n    pass",
    "try:\n    pass\nexcept* A, B as e:\n    pass",
    'f"{"a"} {x # comment}"',
    'f"a\nb{"c"}"',
    'f"{x! r}" + f"{"y"}"',
    'x = 1\n  \\\n  y = f"{"a"}"',  # a continuation line libcst would re-indent
]
# Python takes these on its newer version, marimo refuses them on every version.
MARIMO_REFUSES = ["from os import *\ntype X = int"]

# Valid here: nothing is needed.
FINE = ["", "x = 1", 'f"{x!r:>{width}}"', "await asyncio.sleep(0)", "type = 5", "match = 1"]


def expected(version: tuple[int, int]) -> tuple[int, int] | None:
    return version if version > RUNNING else None


@pytest.mark.parametrize(("code", "version"), NEWER)
def test_newer_syntax_names_the_lowest_python(code: str, version: tuple[int, int]) -> None:
    assert required_python(code) == expected(version)


@pytest.mark.parametrize("code", BROKEN)
def test_a_real_syntax_error_needs_no_newer_python(code: str) -> None:
    assert required_python(code) is None


@pytest.mark.parametrize("code", MARIMO_REFUSES)
def test_what_marimo_refuses_on_any_python_needs_no_newer_one(code: str) -> None:
    assert required_python(code) is None


@pytest.mark.parametrize("code", FINE)
def test_code_that_compiles_here_needs_nothing(code: str) -> None:
    assert compiles(code)
    assert required_python(code) is None and requirement_message(code) is None


@pytest.mark.skipif(RUNNING != (3, 11), reason="the message names the running Python 3.11")
def test_requirement_message_on_311() -> None:
    assert requirement_message("type Vec = list[float]") == "needs Python ≥ 3.12 (running 3.11)"
    assert requirement_message("def f[T = int](): pass") == "needs Python ≥ 3.13 (running 3.11)"
    assert requirement_message('t"{x}"') == "needs Python ≥ 3.14 (running 3.11)"
    assert requirement_message("x = (1 +") is None


def test_the_message_is_recognised() -> None:
    running = f"{RUNNING[0]}.{RUNNING[1]}"
    assert is_requirement(f"needs Python ≥ 3.14 (running {running})")
    assert not is_requirement("SyntaxError: invalid syntax (line 1)")
    assert not is_requirement(None)
    assert not is_requirement("needs Python ≥ 3.14 (running 3.11); kept as written")


def test_cell_requirement_recognises_or_works_it_out() -> None:
    message = f"needs Python ≥ 3.14 (running {RUNNING[0]}.{RUNNING[1]})"
    assert cell_requirement(message, "anything") == message
    assert cell_requirement(None, "type X = int") is None
    assert cell_requirement("NameError: x", "type X = int") is None
    error = "SyntaxError: invalid syntax (line 1)"
    assert cell_requirement(error, "type X = int") == requirement_message("type X = int")
    assert cell_requirement(error, "x = (1 +") is None


def test_a_plain_syntax_error_does_not_import_libcst() -> None:
    """Most broken cells hold none of the newer constructs: no parser import for them."""
    probe = (
        "import sys\n"
        "from marimo_tui.notebook.pyversion import required_python\n"
        "assert required_python('x = (1 +\\ny = [') is None\n"
        "assert 'libcst' not in sys.modules\n"
        "assert required_python('type X = int') is not None or sys.version_info >= (3, 12)\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True, timeout=60)


def test_a_cell_takes_a_few_milliseconds() -> None:
    required_python("type Warm = int")  # libcst's import is paid once, lazily
    lines = [f"value_{i} = compute(a_{i}, b={i}) + {i}  # step {i}" for i in range(20)]
    codes = ["\n".join([*lines, f'print(f"{{", ".join(names)}} {k}")']) for k in range(5)]
    start = time.perf_counter()
    for code in codes:
        assert required_python(code) == expected(PY312)
    per_call = (time.perf_counter() - start) / len(codes)
    # ~2 ms on an idle machine; the bound only catches a pathological slowdown.
    assert per_call < 0.25, f"{per_call * 1000:.1f} ms per 21-line cell"


# -- against real interpreters -----------------------------------------------------------------
ORACLE = """
import ast, json, sys, warnings
warnings.simplefilter("ignore")
out = []
for code in json.load(sys.stdin):
    try:
        compile(code.replace("\\u00a0", " "), "<cell>", "exec",
                flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
        out.append(True)
    except BaseException:  # 3.12.1 raises ValueError on a few odd f-strings
        out.append(False)
json.dump(out, sys.stdout)
"""


@cache
def interpreter(version: tuple[int, int]) -> str | None:
    """A working `python3.X`: on PATH, else one pyenv installed (its shim may be inactive)."""
    name = f"python{version[0]}.{version[1]}"
    root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates = [shutil.which(name), *sorted(glob.glob(f"{root}/versions/{name[6:]}*/bin/{name}"))]
    for candidate in filter(None, candidates):
        try:
            out = subprocess.run(
                [candidate, "-c", "import sys; print(sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except OSError:
            continue
        if out.returncode == 0 and out.stdout.strip() == str(version):
            return candidate
    return None


def compiled_by(version: tuple[int, int], codes: list[str]) -> list[bool]:
    python = interpreter(version)
    if python is None:
        pytest.skip(f"no working python{version[0]}.{version[1]} on PATH (or under pyenv)")
    out = subprocess.run(
        [python, "-c", ORACLE],
        input=json.dumps(codes),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return list(json.loads(out.stdout))


@pytest.mark.parametrize("oracle", [PY312, PY313], ids=["python3.12", "python3.13"])
def test_cases_agree_with_a_real_interpreter(oracle: tuple[int, int]) -> None:
    codes = [code for code, _ in NEWER]
    for (code, version), ok in zip(NEWER, compiled_by(oracle, codes), strict=True):
        assert ok == (version <= oracle), (oracle, version, code)
    for code, ok in zip(BROKEN, compiled_by(oracle, BROKEN), strict=True):
        assert not ok, (oracle, code)


def mutants(seed: int, count: int) -> list[str]:
    """Cells with newer syntax, damaged at random: mostly real errors, some still valid."""
    atoms = [*"\"'{}()[]:=,*\\# \n", "yield", "await", "return", "lambda", 'f"', "t'", "x"]
    atoms += ["!r", ":=", "type ", "as e", "nonlocal x\n", "T", " = int", "b'"]
    seeds = [code for code, _ in NEWER] + BROKEN
    rng = random.Random(seed)
    out: set[str] = set()
    while len(out) < count:
        code = rng.choice(seeds)
        for _ in range(rng.choice([1, 1, 2, 3])):
            i = rng.randrange(len(code) + 1)
            if rng.random() < 0.4:
                code = code[:i] + code[i + rng.choice([1, 2, 4]) :]
            else:
                code = code[:i] + rng.choice(atoms) + code[i:]
        out.add(code)
    return sorted(c for c in out if not compiles(c))


def test_no_false_positive_among_damaged_cells() -> None:
    """The promise that matters: never "needs Python X" for code Python X rejects."""
    codes = mutants(seed=16, count=1500)
    answers = [required_python(code) for code in codes]
    claimed = [(c, v) for c, v in zip(codes, answers, strict=True) if v is not None]
    assert claimed  # the damage leaves some cells valid
    checked = 0
    for oracle in (PY312, PY313):
        if interpreter(oracle) is None:
            continue
        subset = [(c, v) for c, v in claimed if v == oracle]
        ok = compiled_by(oracle, [c for c, _ in subset])
        wrong = [c for (c, _), accepted in zip(subset, ok, strict=True) if not accepted]
        assert not wrong, f"python{oracle} rejects: {wrong[:5]}"
        checked += len(subset)
    if not checked:
        pytest.skip("no python3.12 or python3.13 to check the answers against")
