"""The marimo runtime: sidecar server, kernel session, outputs and headless export."""
