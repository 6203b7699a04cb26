"""marimo-tui: a terminal workbench for agentic marimo notebook work."""

__version__ = "0.1.0"
