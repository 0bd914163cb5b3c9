"""One module per command: `run(...) -> int`, free of click so hooks can start fast."""
