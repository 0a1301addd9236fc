"""The hand-in deadline in the bot's replies: how long is left before it, and that a push came after it.
Pure: the caller passes the times (an injectable clock in the jobs)."""

from __future__ import annotations

from datetime import datetime, timedelta


def when(deadline: datetime) -> str:
    """`2027-01-17 23:59 +01:00`: in the offset the configuration gave."""
    off = deadline.utcoffset() or timedelta(0)
    sign = "-" if off < timedelta(0) else "+"
    minutes = abs(int(off.total_seconds())) // 60
    return f"{deadline:%Y-%m-%d %H:%M} {sign}{minutes // 60:02d}:{minutes % 60:02d}"


def span(delta: timedelta) -> str:
    """A duration in its two largest units: `3 days 4 hours`, `5 hours 12 minutes`, `7 minutes`."""
    total = max(int(delta.total_seconds()) // 60, 0)
    days, rest = divmod(total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    first = next((i for i, (n, _) in enumerate(parts) if n), None)
    if first is None:
        return "less than a minute"
    return " ".join(f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in parts[first : first + 2] if n)


def countdown(deadline: datetime, now: datetime) -> str:
    """The line the pinned issue shows before the deadline (and after it, that it has passed)."""
    if now < deadline:
        return f"⏳ **Deadline: {when(deadline)}** — {span(deadline - now)} left"
    return f"⌛ **Deadline: {when(deadline)}** — passed {span(now - deadline)} ago"


def is_late(deadline: datetime, pushed_at: datetime) -> bool:
    return pushed_at > deadline


def late_note(deadline: datetime, pushed_at: datetime) -> str:
    """What the verdict of a push after the deadline says first."""
    local = pushed_at.astimezone(deadline.tzinfo)
    return (
        f"⚠️ **This commit was pushed after the deadline**: pushed at {when(local)}, "
        f"{span(pushed_at - deadline)} after the deadline ({when(deadline)})."
    )
