"""What the support guard's tests assert of a risk."""

from __future__ import annotations

from policies.schema import SupportPolicy


def escalated_whatever_the_retrieval(risk: float, policy: SupportPolicy) -> bool:
    """Whether a question with this guard ``risk`` is escalated however well retrieval matches:
    confidence = P(retrieval) x (1 - risk) and P(retrieval) <= 1."""
    return 1.0 - risk < policy.confidence_threshold
