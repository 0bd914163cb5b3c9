"""tokscan: find TokModel API keys before they leak through git."""

__version__ = "0.1.0"
