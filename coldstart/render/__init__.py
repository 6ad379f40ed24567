"""Renderers: each turns a report into one output format."""
