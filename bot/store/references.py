"""Case reference codes people can read out on the phone and type back.

A reference is 8 characters from Crockford's base32 alphabet (digits and capitals without I, L, O
and U), shown as ``ABCD-2345``: 40 random bits from :mod:`secrets`. Because the letters I, L and O
never occur, a typed ``O`` can only mean zero and ``I``/``L`` can only mean one, so lookups forgive
those confusions, lower case, spaces and a missing dash.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 8
_CONFUSIONS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.]+")


def generate_reference() -> str:
    """Returns a new random reference in display form (``ABCD-2345``)."""
    return format_reference("".join(secrets.choice(ALPHABET) for _ in range(LENGTH)))


def format_reference(code: str) -> str:
    """Inserts the dash into an 8-character code."""
    return f"{code[:4]}-{code[4:]}"


def normalise_reference(text: str) -> str | None:
    """Turns what a person typed into the stored display form, or ``None`` if it cannot be one.

    Args:
        text: For example ``abcd 2345``, ``ABCD2345`` or ``abcd-z34s``.

    Returns:
        The reference as stored (``ABCD-2345``), or ``None`` when it is not a valid reference.
    """
    code = _SEPARATORS.sub("", text.strip().upper()).translate(_CONFUSIONS)
    if len(code) != LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return format_reference(code)
