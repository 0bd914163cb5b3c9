"""Git history: every unique blob read once, hits attributed to the commits that added them.

`scan` runs the audit: `gitlog` (the tree-diff pass), `blobscan` (the blobs, on all cores),
`facts` (what the commits hold besides blobs, read while the blobs are scanned),
`blobkeys` (which keys a blob holds), `attribution` (which commit added each key) and
`tags` (annotated tags, and what they point to).
"""
