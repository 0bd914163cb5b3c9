"""Sources: each turns one kind of input (files, staged changes, history) into chunks."""
