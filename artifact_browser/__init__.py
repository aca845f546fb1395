"""artifact-browser: a desktop browser for the artifacts of a Dioptra server."""

__version__ = "0.1.0"
