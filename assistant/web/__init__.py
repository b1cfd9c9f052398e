"""The local web app (``factcheck serve``): sources, checks and the log in the browser, over the library."""

from .app import create_app

__all__ = ["create_app"]
