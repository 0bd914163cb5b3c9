"""The command line: `main` (the console script and the one error boundary), `fast` (the
hook's parser, without click) and `app` (click), both built from `tokscan.options`."""
