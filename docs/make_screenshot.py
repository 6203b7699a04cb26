"""Writes docs/screenshot.svg: the workbench after the guided demo (`demo --script --dagster`),
exported by Textual itself. Run it after a visible change to the app:

    .venv/bin/python docs/make_screenshot.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from marimo_tui.agent.start import Overrides
from marimo_tui.config import load_config
from marimo_tui.launch import DEMO_SCRIPT
from marimo_tui.project import DEMO_START, create_demo
from marimo_tui.tasks import TaskStatus
from marimo_tui.tui.app import WorkbenchApp
from marimo_tui.workbench import Workbench

OUT = Path(__file__).with_name("screenshot.svg")
SIZE = (160, 48)


async def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "marimo-tui-demo"
        create_demo(folder)
        config = load_config(None, start=folder)
        workbench = Workbench(config)
        initial = workbench.quick_open(folder / DEMO_START)
        agent = Overrides(provider="scripted", script=DEMO_SCRIPT, approval="auto")
        app = WorkbenchApp(workbench, initial, agent=agent, serve_dagster=True)
        async with app.run_test(size=SIZE) as pilot:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                await pilot.pause(0.5)
                tasks = [t for t in workbench.tasks if t.owner == "agent"]
                if tasks and all(t.status == TaskStatus.DONE for t in tasks):
                    break
            else:
                print("the demo did not finish in 300 s", file=sys.stderr)
                return 1
            await pilot.pause(6)  # the runs pane's next polls, the chart's rerun
            await pilot.press("1")
            await pilot.press("end")
            await pilot.pause(1)
            app.save_screenshot(str(OUT.name), path=str(OUT.parent))
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
