"""One module per command: `run(...) -> ExitCode`, free of click so hooks can start fast."""
