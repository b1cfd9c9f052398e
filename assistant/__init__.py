"""Fact-checking assistant: check claims against your sources, with verified character spans."""

__version__ = "0.1.0"
