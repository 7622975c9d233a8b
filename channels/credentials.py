"""Reading a channel's section of credentials.yml into its settings.

Rasa expands ``${VAR}`` from the environment; a variable that is not set stays ``${VAR}`` and
counts as missing, like an empty value. A channel's settings are a frozen dataclass deriving
from :class:`CredentialSettings`: each field is read from the key of its name (or an alias), a
field without a default is required, and an ``int`` field is parsed.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, TypeVar

S = TypeVar("S", bound="CredentialSettings")


def configured(value: Any) -> str | None:
    """Returns a credential value, or None if empty or an unexpanded ``${VAR}``."""
    if value is None:
        return None
    text = str(value).strip()
    if not text or (text.startswith("${") and text.endswith("}")):
        return None
    return text


class CredentialSettings:
    """Base of a channel's settings dataclass: :meth:`from_credentials` reads its fields."""

    #: What is missing when :meth:`from_credentials` gives None, for the log line.
    MISSING: ClassVar[str]
    #: Another key a field may be given under (field name -> key), read when the first is empty.
    ALIASES: ClassVar[dict[str, str]] = {}

    @classmethod
    def from_credentials(cls: type[S], credentials: dict[str, Any]) -> S | None:
        """Reads the credentials.yml section.

        Args:
            credentials: The section (values may be unexpanded ``${VAR}``).

        Returns:
            The settings, or None when a required value is missing.
        """
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):  # type: ignore[arg-type]
            raw = credentials.get(field.name)
            alias = cls.ALIASES.get(field.name)
            if alias is not None and not raw:
                raw = credentials.get(alias)
            value = configured(raw)
            if value is None:
                if field.default is dataclasses.MISSING:
                    return None
                continue  # the default
            values[field.name] = int(value) if isinstance(field.default, int) else value
        return cls(**values)
