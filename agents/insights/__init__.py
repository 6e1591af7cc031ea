"""The insights agent's tools: who the customers are (RFM), who is slipping away, who stays.

Pure functions over the warehouse: ``rfm`` (segments and movements), ``churn`` (BG/NBD and
MBG/NBD P(alive), expected purchases and value), ``spend`` (Gamma-Gamma), ``cohorts`` (retention
and heatmap), all starting from ``history.customer_history`` (one pass over the orders).

Exceptions::

    InsightsError
     ├── NoOrdersError    no orders on or before the requested date
     └── ChurnFitError    the churn or spend model could not be fitted to the data
"""

from agents.insights._exceptions import ChurnFitError, InsightsError, NoOrdersError

__all__ = ["ChurnFitError", "InsightsError", "NoOrdersError"]
