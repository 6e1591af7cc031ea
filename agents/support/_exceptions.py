"""The support agent's exceptions; the tree is drawn in the package docstring."""

from __future__ import annotations


class SupportError(RuntimeError):
    """Base of the support agent's exceptions."""


class KnowledgeBaseSourceError(SupportError):
    """A help-centre Markdown file cannot be ingested; the message names the file and the fix."""


class EvalSetError(SupportError):
    """The evaluation set is malformed or names an article the knowledge base does not have."""
