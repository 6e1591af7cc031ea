"""The team's behaviour settings: one YAML file per topic, validated by typed models at start-up.

``load_policies(folder)`` is the one loader. A bad file stops start-up with a single line naming
the file, the key, the bad value and what was expected (``PolicyError``).
"""

from policies.loader import PolicyError, load_policies
from policies.schema import (
    ApprovalPolicy,
    ChurnPolicy,
    ModelChoice,
    ModelsPolicy,
    Policies,
    RFMPolicy,
    SchedulePolicy,
    SegmentRule,
    SupportPolicy,
    WinbackPolicy,
)

__all__ = [
    "ApprovalPolicy",
    "ChurnPolicy",
    "ModelChoice",
    "ModelsPolicy",
    "Policies",
    "PolicyError",
    "RFMPolicy",
    "SchedulePolicy",
    "SegmentRule",
    "SupportPolicy",
    "WinbackPolicy",
    "load_policies",
]
