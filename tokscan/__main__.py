"""`python -m tokscan` runs the same entry point as the console script."""

from tokscan.entry import main

raise SystemExit(main())
