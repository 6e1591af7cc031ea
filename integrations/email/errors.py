"""The email adapters' exceptions (tree in the package docstring)."""


class EmailError(RuntimeError):
    """Base of the email adapters' exceptions."""


class EmailRejectedError(EmailError):
    """The provider refused this message (bad address, bad credentials): retrying will not help."""


class EmailUnavailableError(EmailError):
    """The provider could not be reached or failed; the same email may be retried later."""
