"""Profile the cold start of Python serverless functions."""

__version__ = "0.1.0"
