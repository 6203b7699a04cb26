"""Agent profiles: who the agent is (a system prompt), what it may use, which model.

Four ship built in; `agents:` in the config adds profiles or overrides these by name. Every
profile's prompt starts with the rules of marimo notebooks, which small models otherwise break.
"""

from __future__ import annotations

from dataclasses import dataclass

from marimo_tui.config import AgentProfile, Config

MARIMO_RULES = """\
You work on marimo notebooks in a terminal workbench, through tools that edit cells on disk.
marimo is a reactive Python notebook: each cell is a function of the names it reads, and marimo
reruns a cell whenever a cell it reads from changes. The rules:
- Each global name is defined in exactly one cell. Never define the same name in two cells;
  never reassign or mutate (append, `+=`, `df["x"] = …`) a global that another cell defined —
  make a new name in your cell instead (`clean = raw.dropna()`).
- Names starting with an underscore (`_tmp`) are private to their cell and may repeat.
- The last expression of a cell is its output: end with the value to show (a dataframe, a
  chart, `mo.md(...)`). `print` goes to the console.
- `import marimo as mo` lives in one cell; other cells just read `mo`.
- Text: `mo.md(f"...")`. Controls: `mo.ui.slider`, `mo.ui.dropdown`, `mo.ui.table`, …; read a
  control's `.value` in a different cell from the one that creates it.
- Cell order on the page is for reading; marimo runs cells in dependency order. No cycles.
- Parameters from the command line: `mo.cli_args()`.
How to work:
- Call list_cells before editing a notebook; address cells by name or id.
- After each edit the tool result says which cells reran and which now fail, with the error
  and traceback: fix failures before you go on. Keep cells small, one step each.
- For work of several steps, first write a plan with `plan`, and move each task through
  running → done / failed with `update_task` as you go.
- If a tool says the file changed on disk, read it again before editing: the user edits too.
- When Dagster is connected, list_assets / launch_asset / run_status run a notebook's paired
  asset there: launch only when asked, then report the run's status and errors.
- There is no shell. Answer in short Markdown; say what you changed and what you could not do.
"""


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    prompt: str  # the profile's own part, after MARIMO_RULES
    tools: tuple[str, ...] = ()  # empty: all
    model: str = ""  # empty: agent.model

    @property
    def system_prompt(self) -> str:
        return f"{MARIMO_RULES}\n{self.prompt}".rstrip() + "\n"


READING = ("list_notebooks", "list_cells", "read_cell", "read_outputs", "lint")

BUILT_IN: dict[str, Profile] = {
    p.name: p
    for p in [
        Profile(
            "data-engineer",
            "builds and fixes data pipelines in notebooks (the default)",
            "You are a data engineer. You load, clean, join and validate data with pandas or "
            "polars, make each step a cell with a clear name, check row counts and schemas as "
            "you go, and leave notebooks that run clean top to bottom.",
        ),
        Profile(
            "analyst",
            "explores data and answers questions with tables and charts",
            "You are a data analyst. You explore data to answer the user's question: summary "
            "tables, group-bys and charts (matplotlib or altair), each with a one-line "
            "`mo.md` takeaway. Prefer showing data to describing it.",
        ),
        Profile(
            "ml",
            "trains and evaluates models with scikit-learn",
            "You are a machine-learning engineer. You split data before any fitting, build "
            "scikit-learn pipelines, report metrics on held-out data with a baseline to beat, "
            "fix random seeds, and never leak the test set into training.",
        ),
        Profile(
            "reporter",
            "turns notebooks into readable reports (reads, and edits only prose)",
            "You are a technical writer. You turn a notebook's results into a readable report: "
            "a title, short `mo.md` sections that explain each result, and a summary at the "
            "top. You change prose cells, not the analysis.",
            tools=(*READING, "add_cell", "edit_cell", "run_cells", "plan", "update_task"),
        ),
    ]
}


def profiles(config: Config) -> dict[str, Profile]:
    """The built-in profiles, with the config's `agents:` over them by name."""
    found = dict(BUILT_IN)
    for name, custom in config.agents.items():
        base = found.get(name)
        found[name] = _from_config(name, custom, base)
    return found


def _from_config(name: str, custom: AgentProfile, base: Profile | None) -> Profile:
    return Profile(
        name=name,
        description=custom.description or (base.description if base else ""),
        prompt=custom.system_prompt or (base.prompt if base else ""),
        tools=tuple(custom.tools) or (base.tools if base else ()),
        model=custom.model or (base.model if base else ""),
    )


def get_profile(config: Config, name: str | None = None) -> Profile:
    """The profile called `name` (default: `agent.profile`); KeyError lists the known ones."""
    found = profiles(config)
    wanted = name or config.agent.profile
    if wanted not in found:
        raise KeyError(f"no agent profile {wanted!r}; profiles: {', '.join(sorted(found))}")
    return found[wanted]
