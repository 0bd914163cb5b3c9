"""Renderers: each turns a finished report into text, and does nothing else."""
