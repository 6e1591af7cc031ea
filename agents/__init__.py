"""The supervisor and the four specialists (marketing, finance, insights, support).

Each specialist's package holds its agent beside its tools; tools are pure functions over the
warehouse and are where every number comes from.
"""
