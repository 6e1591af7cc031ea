"""One recipient address: exactly one bare addr-spec, checked by ``email-validator``.

A recipient field that holds a list (``victim@x.com, attacker@evil.com``), a display name
(``Attacker <a@evil.com>``), a line break or any control character is refused: the address is
also the envelope recipient, and a header must never carry a second one.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from integrations.email.errors import EmailRejectedError

# RFC 5321's limit on a path (an address) is 254 characters once the brackets are off.
MAX_ADDRESS_CHARS = 254


def bare_address(text: str) -> str:
    """``text`` as one bare ASCII addr-spec (surrounding spaces and tabs trimmed; the domain
    lower-cased, an international one in punycode), or ``EmailRejectedError`` saying what is
    wrong with it."""
    candidate = text.strip(" \t")
    if not candidate:
        raise EmailRejectedError("the email address is empty")
    if len(candidate) > MAX_ADDRESS_CHARS:
        raise EmailRejectedError(f"the email address is over {MAX_ADDRESS_CHARS} characters")
    try:
        # No SMTPUTF8: a non-ASCII local part is refused (few servers take one, and smtplib
        # cannot send it); an international domain is kept in its ASCII (punycode) form.
        checked = validate_email(
            candidate, check_deliverability=False, allow_display_name=False, allow_smtputf8=False
        )
    except EmailNotValidError as error:
        raise EmailRejectedError(f"{candidate!r} is not one email address: {error}") from None
    return str(checked.ascii_email or checked.normalized)
