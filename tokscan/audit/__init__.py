"""`tokscan audit`: the history audit of many repositories, on Dask, reported as one.

`sources` checks and names what to audit; `clone` keeps bare clones in the work folder
(GitPython); `task` audits one repository (in a Dask worker, isolated in a child process
with its own time limit); `cache` keeps each repository's result by its ref tips; `run`
hands the tasks to Dask and streams results as they complete; `group` joins findings by
key across repositories; `recover` re-reads a key on the client for `--verify`;
`document` is the report every format renders. Dask and GitPython are imported only here.
"""
