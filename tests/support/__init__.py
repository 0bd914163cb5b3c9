"""Helpers shared by the tests: repositories, keys, servers, report checks, CI events."""
