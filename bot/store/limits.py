"""What the tables accept, checked before any statement runs, so that SQLite and PostgreSQL accept and
refuse the same values (SQLite ignores `VARCHAR(n)` and stores any integer it can; PostgreSQL raises
different errors for each).

Ids are BIGINT: 1..2**63-1. Texts fit their column's length in characters.
"""

from __future__ import annotations

MAX_ID = 2**63 - 1


class InvalidRecord(ValueError):
    """A value the tables do not accept (the same on every database)."""


def check_id(what: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_ID:
        raise InvalidRecord(f"{what} must be an integer from 1 to 2**63-1")
    return value


def check_text(what: str, value: object, max_length: int) -> str:
    if not isinstance(value, str) or len(value) > max_length:
        raise InvalidRecord(f"{what} must be a string of at most {max_length} characters")
    if "\x00" in value:
        raise InvalidRecord(f"{what} must not contain NUL characters")  # PostgreSQL refuses them in text
    return value
