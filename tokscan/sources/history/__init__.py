"""Git history: every unique blob read once, hits attributed to the commits that added them."""
