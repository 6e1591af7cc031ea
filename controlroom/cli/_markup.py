"""Text from a user or from data, printed through Rich without ever being read as markup.

The CLI's own strings may style with Rich markup (``[red]error:[/]``); a value — a file name, a
cell, a customer's name, a command argument, an exception's message — goes in as plain text, so
``[/x]`` or ``[bold]`` in it is shown as written and can never raise ``MarkupError``. Every print
of such a value goes through ``literal`` (a value alone), ``cells`` (a table row) or ``markup``
(a value in a styled line); nothing else escapes.
"""

from __future__ import annotations

import string

from rich.text import Text

# Where a value goes in the parsed template: a private-use character no template contains.
_FIELD = "\ue000"
_FORMATTER = string.Formatter()

# Control characters (bar newline and tab) and the invisible ones that reorder or split a line
# are shown as escapes: a value must not move the cursor, clear the screen or hide its text.
_HIDDEN = [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]
_HIDDEN += [0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_SHOWN_ESCAPED = {code: f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" for code in _HIDDEN}


def literal(value: object) -> Text:
    """``value`` as plain text for a console or a table cell: shown as written, never markup."""
    return Text(_visible(str(value)))


def cells(*values: object) -> tuple[Text, ...]:
    """A table row of values, each shown as written: ``table.add_row(*cells(...))``."""
    return tuple(literal(value) for value in values)


def markup(template: str, /, **values: object) -> Text:
    """``template`` (the CLI's own Rich markup, with ``{name}`` or ``{name:,}`` fields) with each
    value inserted as plain text, styled like the markup around its field."""
    parts: list[str] = []
    inserted: list[str] = []
    for text, field, spec, conversion in _FORMATTER.parse(template):
        parts.append(text)
        if field is not None:
            value, _ = _FORMATTER.get_field(field, (), values)
            value = _FORMATTER.convert_field(value, conversion)
            inserted.append(_visible(_FORMATTER.format_field(value, spec or "")))
            parts.append(_FIELD)
    parsed = Text.from_markup("".join(parts))
    if not inserted:
        return parsed
    offsets = [i + edge for i, char in enumerate(parsed.plain) if char == _FIELD for edge in (0, 1)]
    values_in_order = iter(inserted)
    line = Text()
    for piece in parsed.divide(offsets):
        if piece.plain == _FIELD:
            value_text = Text(next(values_in_order))
            for span in piece.spans:
                value_text.stylize(span.style)
            line.append_text(value_text)
        else:
            line.append_text(piece)
    return line


def _visible(text: str) -> str:
    return text.translate(_SHOWN_ESCAPED)
