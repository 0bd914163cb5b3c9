"""Asking TokModel whether a leaked key still works (SPEC §5).

`api_base` decides where keys may be sent, `client` probes them (httpx, imported only when
verifying), `cache` remembers recent answers by fingerprint, and `checker` ties the three
together for the commands. Nothing here runs, or opens a socket, unless the user asked for
verification.
"""
