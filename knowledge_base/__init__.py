"""The Two Peaks help centre: Markdown articles, one folder per category (README.md has the
convention), shipped with the code as package data and read by ``agents.support.load_chunks``."""
