"""Which commits a scan covers: user revision arguments, a push, a CI run."""
