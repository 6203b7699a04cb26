"""Agent profiles: who the agent is (a system prompt), what it may use, which model.

Five ship built in; `agents:` in the config adds profiles or overrides these by name. Every
profile's prompt starts with the rules of marimo notebooks, which small models otherwise break:
the full rules and how to work, or (the `small` profile, for 3-8B models) the few they break
most, with the six tools such a model uses well.
"""

from __future__ import annotations

from dataclasses import dataclass

from marimo_tui.config_schema import AgentProfile, Config

MARIMO_RULES = """\
You edit marimo notebooks through tools that change cells on disk; marimo reruns what changed.
marimo rules:
- Each global name is defined in exactly one cell. Never redefine, reassign or mutate (append,
  +=, df["x"] = ...) a name from another cell: make a new one (clean = raw.dropna()).
  _names are private to their cell.
- A cell's last expression is its output (a dataframe, a chart, mo.md(...)); print goes to the
  console.
- import marimo as mo in one cell only. Read a mo.ui control's .value in another cell.
- Cells run in dependency order, not page order; no cycles. CLI parameters: mo.cli_args().
How to work:
- Call list_cells before editing. A cell is a name, an id or #N; `notebook` defaults to the
  open one.
- Edits return what reran and what fails: fix failures before going on. Keep cells small.
- For several steps, first `plan`, then `update_task` each task: running, done or failed.
- If a file changed on disk, read it again. There is no shell.
- Answer in short Markdown: what you changed, what you could not do.
"""

# For 3-8B models: the rules they break most, and only the tools they use well.
SMALL_RULES = """\
You edit a marimo notebook with tools; marimo reruns changed cells.
- Each global name is defined in one cell only; never reassign another cell's name.
- A cell's last expression is its output. import marimo as mo once.
- Call list_cells first. A cell is a name, an id or #N.
- Edits return errors: fix them. No shell. Answer briefly.
"""


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    prompt: str  # the profile's own part, after the rules
    tools: tuple[str, ...] = ()  # empty: all
    model: str = ""  # empty: agent.model
    rules: str = MARIMO_RULES  # marimo's rules and how to work, before `prompt`

    @property
    def system_prompt(self) -> str:
        return f"{self.rules}\n{self.prompt}".rstrip() + "\n"


READING = ("list_notebooks", "list_cells", "read_cell", "read_outputs", "lint")
SMALL_TOOLS = ("list_cells", "read_cell", "read_outputs", "add_cell", "edit_cell", "delete_cell")

BUILT_IN: dict[str, Profile] = {
    p.name: p
    for p in [
        Profile(
            "data-engineer",
            "builds and fixes data pipelines in notebooks (the default)",
            "You are a data engineer: load, clean, join and validate data with pandas or "
            "polars, one named step per cell, checking row counts and schemas as you go, so "
            "the notebook runs clean top to bottom.",
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
        Profile(
            "small",
            "for 3-8B local models: six cell tools and a short prompt",
            "Make small, working changes with pandas.",
            tools=SMALL_TOOLS,
            rules=SMALL_RULES,
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
        rules=base.rules if base else MARIMO_RULES,
    )


def get_profile(config: Config, name: str | None = None) -> Profile:
    """The profile called `name` (default: `agent.profile`); KeyError lists the known ones."""
    found = profiles(config)
    wanted = name or config.agent.profile
    if wanted not in found:
        raise KeyError(f"no agent profile {wanted!r}; profiles: {', '.join(sorted(found))}")
    return found[wanted]
