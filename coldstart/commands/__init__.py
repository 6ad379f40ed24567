"""One module per command; each exposes `run(...)` and returns an exit code."""
