"""digest: a self-hosted daily newsletter digest service."""

__version__ = "0.1.0"
