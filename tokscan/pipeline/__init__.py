"""From candidates to a report: collection, suppression, advice, the exit policy, and the
review of pragmas a change adds."""
