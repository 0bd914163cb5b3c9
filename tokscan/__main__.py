"""`python -m tokscan` runs the same entry point as the console script."""

from tokscan.cli.main import main

raise SystemExit(main())
