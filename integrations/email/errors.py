"""The email adapters' exceptions (tree in the package docstring)."""


class EmailError(RuntimeError):
    """Base of the email adapters' exceptions."""


class EmailRejectedError(EmailError):
    """The provider refused this message (bad address, a 5xx for this recipient or its content,
    a header that cannot be written): that email fails; retrying it will not help."""


class EmailConfigError(EmailError):
    """The provider refused *us* (login, API key, sender address): no email can go until the
    configuration is fixed, so the send stops with every unsent email still queued."""


class EmailUnavailableError(EmailError):
    """The provider could not be reached, lost the connection or answered 4xx (try later): the
    same email may be retried."""


class EmailInDoubtError(EmailUnavailableError):
    """The connection was lost after the message was handed over: the provider may have
    accepted it. Never re-sent automatically; a person settles it by its Message-ID."""
