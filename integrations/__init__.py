"""Adapters to outside systems, each with an embedded default that needs no account or network."""
