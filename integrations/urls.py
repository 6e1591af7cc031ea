"""``mask_url``: a URL as it may be printed or logged, with every credential it carries hidden.

Settings hold URLs with secrets in them (``DATABASE_URL`` with a password, a Chroma or model
server URL with ``?token=``, a signed storage URL with ``sig=``). Everything that prints or logs
such a URL passes it through this one function.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

MASK = "***"
# A query or fragment parameter whose name contains one of these is a credential.
_SENSITIVE_NAMES = (
    "pass",  # password, passwd, sslpassword, passphrase
    "pwd",
    "token",  # token, access_token, refresh_token, id_token
    "secret",  # secret, client_secret
    "key",  # key, api_key, apikey, sslkey, x-api-key
    "sig",  # sig, signature, x-amz-signature
    "auth",
    "credential",
    "session",
    "cookie",
)
_USERNAME = re.compile(r"[^:/?#@]*")
# After "host:": a port, then the end, or a path whose query or fragment (not path) holds an "@".
_PORT_THEN_NO_USERINFO = re.compile(r"\d*(?:$|/[^@?#]*[?#])")


def mask_url(url: str) -> str:
    """``url`` with the userinfo password and sensitive query/fragment values replaced by ``***``.

    A password written without percent-encoding may hold ``@``, ``/``, ``?`` or ``#``: the
    password is taken to run to the last ``@``, so an ``@`` later in the URL hides more than the
    password rather than less.
    """
    scheme, separator, rest = url.partition("://")
    if not separator:
        return _mask_parameters(url)
    return f"{scheme}{separator}{_mask_parameters(_mask_userinfo(rest))}"


def _mask_userinfo(rest: str) -> str:
    user = _USERNAME.match(rest)
    assert user is not None  # the pattern matches the empty string
    end = user.end()
    if rest[end : end + 1] != ":":
        return rest  # no password: "user@host", "host/path" or "host"
    after = rest[end + 1 :]
    if "@" not in after or _PORT_THEN_NO_USERINFO.match(after):
        return rest  # "host:port...", an "@" only in its query or fragment
    return f"{user.group()}:{MASK}{after[after.rfind('@') :]}"


def _mask_parameters(rest: str) -> str:
    base, hash_mark, fragment = rest.partition("#")
    path, question_mark, query = base.partition("?")
    if question_mark:
        path = f"{path}?{_mask_pairs(query)}"
    if hash_mark:
        path = f"{path}#{_mask_pairs(fragment) if '=' in fragment else fragment}"
    return path


def _mask_pairs(query: str) -> str:
    pairs = []
    for pair in query.split("&"):
        name, equals, _value = pair.partition("=")
        if equals and any(word in unquote(name).lower() for word in _SENSITIVE_NAMES):
            pair = f"{name}={MASK}"
        pairs.append(pair)
    return "&".join(pairs)
