"""Who may run commands: GitHub's collaborator levels, and who counts as a bot. Pure: no I/O.

``permission_allows`` compares GitHub's collaborator levels in ``PERMISSION_ORDER``. The team-API aliases
``pull`` and ``push`` mean read and write. Anything else (a custom role name, a typo, a non-string) is
denied. ``effective_permission`` picks the higher known level of the collaborator-permission API's
``permission`` (legacy: admin/write/read/none) and ``role_name`` (may be triage, maintain or a custom
role), so a triager is not mistaken for a reader and a custom role falls back to its base permission.
"""

from __future__ import annotations

from typing import Any, Literal

PERMISSION_ORDER = ("none", "read", "triage", "write", "maintain", "admin")
_PERMISSION_ALIASES = {"pull": "read", "push": "write"}


def _level(value: object) -> int | None:
    if not isinstance(value, str):
        return None
    name = value.strip().lower()
    name = _PERMISSION_ALIASES.get(name, name)
    return PERMISSION_ORDER.index(name) if name in PERMISSION_ORDER else None


def permission_allows(actual: str, minimum: Literal["read", "triage", "write"]) -> bool:
    """Whether GitHub permission `actual` is at least `minimum`. Unknown values of `actual` are denied."""
    needed = _level(minimum)
    if needed is None or needed == 0:
        raise ValueError(f"not a minimum permission: {minimum!r}")
    have = _level(actual)
    return have is not None and have >= needed


def effective_permission(permission: str | None, role_name: str | None = None) -> str:
    """The higher known level of the collaborator-permission API's `permission` and `role_name`, or "none"."""
    levels = [lvl for lvl in (_level(permission), _level(role_name)) if lvl is not None]
    return PERMISSION_ORDER[max(levels, default=0)]


def is_bot_sender(sender: dict[str, Any]) -> bool:
    """Whether a webhook `sender` is a bot (type "Bot" or login ending in "[bot]").

    A malformed sender (not a dict, or with neither a string login nor a string type) counts as a bot,
    so the app never answers it.
    """
    if not isinstance(sender, dict):
        return True
    kind, login = sender.get("type"), sender.get("login")
    if not isinstance(kind, str) and not isinstance(login, str):
        return True
    if isinstance(kind, str) and kind.strip().lower() == "bot":
        return True
    return isinstance(login, str) and login.strip().lower().endswith("[bot]")
