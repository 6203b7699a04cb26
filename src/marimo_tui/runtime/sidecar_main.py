"""The sidecar process itself:
`python -m marimo_tui.runtime.sidecar_main PARENT OVERRIDES CONFINE NICE -- ARGS`.

Four things `marimo edit` cannot do from its command line:

- die with the workbench. The kernel processes marimo starts poll their parent and exit when it
  goes, but the server has no such check; a parent-death signal (Linux) makes a SIGKILLed
  workbench take its server along, and the kernels then follow their server.
- take our runtime settings (`watcher_on_save`) without touching the user's configuration.
  marimo layers its config (user file, pyproject, script header, environment); we add one more
  layer on top, in this process only, so the user's files are never edited and still apply
  to everything we do not set.
- confine itself (`marimo.confine: project`). CONFINE is `null` or a JSON list of the folders
  it may write in; Landlock rules are put on this process before marimo is imported, and every
  kernel it starts inherits them (see `runtime.landlock`). Folders marimo itself writes to
  (its cache and state folders) and the few device files every program writes to are added
  here, where the server's own environment says where they are.
- yield the CPU to the workbench (`marimo.nice`): NICE is added to this process's niceness
  before it starts a thread, so the server and every kernel run below the screen they feed.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from marimo_tui.processes import die_with_parent

# Written by every program (`> /dev/null`, terminals); /dev/shm holds multiprocessing's
# semaphores (marimo's kernels are multiprocessing children).
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/tty", "/dev/shm")


def marimo_places(environ: dict[str, str] | os._Environ[str] = os.environ) -> list[Path]:
    """Where marimo itself writes: `$XDG_CACHE_HOME/marimo`, `$XDG_STATE_HOME/marimo`
    (as `marimo._utils.xdg` finds them)."""
    home = Path(environ.get("HOME") or Path.home())
    cache = Path(environ.get("XDG_CACHE_HOME", "").strip() or home / ".cache")
    state = Path(environ.get("XDG_STATE_HOME", "").strip() or home / ".local" / "state")
    return [cache / "marimo", state / "marimo"]


def confine(folders: list[str]) -> None:
    """Landlock this process: writes only beneath `folders`, marimo's own and the devices."""
    from marimo_tui.runtime.landlock import restrict_writes

    own = marimo_places()
    for place in own:
        place.mkdir(parents=True, exist_ok=True)  # a rule needs the folder to exist
    restrict_writes([*map(Path, folders), *own, *map(Path, DEVICES)])


def add_config_layer(overrides: dict[str, Any]) -> None:
    """Put `overrides` on top of marimo's configuration for this server (private API, 0.25)."""
    import marimo._server.start as start

    original: Any = getattr(start, "get_default_config_manager")  # noqa: B009 (not exported)

    def with_ours(*, current_path: str | None) -> Any:
        return original(current_path=current_path).with_overrides(overrides)

    setattr(start, "get_default_config_manager", with_ours)  # noqa: B010


def main(argv: list[str]) -> None:
    parent, overrides, confinement, nice, separator, *marimo_args = argv
    if separator != "--":
        sys.exit("usage: sidecar_main PARENT_PID OVERRIDES_JSON CONFINE_JSON NICE -- MARIMO_ARGS")
    die_with_parent(int(parent))
    if int(nice):
        # Before any thread or kernel exists: every one of them inherits it.
        os.nice(int(nice))
    folders = json.loads(confinement)
    if folders is not None:
        try:
            confine(folders)
        except OSError as exc:
            # Asked to confine and cannot: not running at all is the honest answer.
            sys.exit(f"marimo-tui: cannot confine the marimo server: {exc}")
    add_config_layer(json.loads(overrides))
    from marimo._cli.cli import main as marimo_main

    marimo_main(args=marimo_args, prog_name="marimo")


if __name__ == "__main__":
    main(sys.argv[1:])
