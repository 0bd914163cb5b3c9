"""`tokscan audit`: many repositories, one report (issue 17)."""
