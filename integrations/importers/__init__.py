"""Importers: CSV files and Google Sheets into the warehouse, all or nothing.

Exceptions::

    ImportRejectedError   a bad row or column: names the source, the row and the reason
"""


class ImportRejectedError(ValueError):
    """An import refused as a whole; the warehouse is as it was."""
