"""Who may run `/report` commands: a person's permission on a repository, asked of GitHub and cached.

The collaborator-permission endpoint (`GET /repos/{owner}/{repo}/collaborators/{user}/permission`) is the
source, not a comment's `author_association`, which says NONE for members of a private organisation. Its
answer is kept for `ttl` seconds per repository and person, so a burst of commands costs one request.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from githubkit import GitHub
from githubkit.exception import RequestFailed

from bot.commands.permissions import effective_permission

DEFAULT_TTL = 300.0
MAX_ENTRIES = 10_000


class PermissionCache:
    """`await level(gh, owner, repo, user)` -> admin | maintain | write | triage | read | none."""

    def __init__(
        self,
        ttl: float = DEFAULT_TTL,
        *,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[tuple[str, str, str], tuple[float, str]] = OrderedDict()

    async def level(self, gh: GitHub[Any], owner: str, repo: str, user: str) -> str:
        """The person's effective permission; "none" when GitHub does not know them on the repository.
        Transient failures propagate (the job retries); other refusals are raised as they come."""
        key = (owner.lower(), repo.lower(), user.lower())
        now = self.clock()
        hit = self._entries.get(key)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        try:
            resp = await gh.rest.repos.async_get_collaborator_permission_level(owner, repo, user)
        except RequestFailed as exc:
            if exc.response.status_code != 404:
                raise
            found = "none"  # "is not a user" (deleted account, an organisation): never allowed
        else:
            data = resp.json()
            permission = data.get("permission") if isinstance(data, dict) else None
            role = data.get("role_name") if isinstance(data, dict) else None
            found = effective_permission(
                permission if isinstance(permission, str) else None, role if isinstance(role, str) else None
            )
        self._entries[key] = (now, found)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return found

    def forget(self, owner: str, repo: str, user: str) -> None:
        self._entries.pop((owner.lower(), repo.lower(), user.lower()), None)
