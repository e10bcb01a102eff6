"""Extractive question answering over a fixed set of magnesium glycinate sources."""

__version__ = "0.1.0"
