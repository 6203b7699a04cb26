"""The agent: an LLM loop whose tools edit marimo notebooks cell by cell (never imports textual)."""
