"""The finance tools' exceptions; the tree is drawn in the package docstring."""


class FinanceError(ValueError):
    """Base of the finance tools' exceptions: the message says what was wrong and what to do."""


class NoCompleteWeekError(FinanceError):
    """The warehouse holds no complete Monday–Sunday week of orders."""


class WeekNotInDataError(FinanceError):
    """The week asked for is before the first or after the last complete week of the data."""


class NotEnoughHistoryError(FinanceError):
    """Too few complete weeks to fit a forecast and backtest it."""


class InvalidRequestError(FinanceError):
    """A horizon, a candidate list or a discount option outside what the tools accept."""
