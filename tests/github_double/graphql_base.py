"""What every GraphQL resolver of the double shares: the request context, the node base class, field errors
and cursor connections (`first`/`after`, `totalCount`, `nodes`, `edges`, `pageInfo`).

A node is the value graphql-core hands to the next level of resolvers; the field `x` of a node's GraphQL
type is its method `f_x(args)` (see graphql_run.py for how fields are looked up)."""

from __future__ import annotations

import base64
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .auth import Principal
from .model import Repo
from .state import GitHubState

HTML = "https://github.com"
Json = dict[str, Any]


@dataclass
class Ctx:
    """One request: the state read, who asks, the fields it read that the double does not model, and any
    resolver that crashed (a bug of the double)."""

    state: GitHubState
    principal: Principal
    unmodelled: list[str] = field(default_factory=list)
    crashed: list[Exception] = field(default_factory=list)  # resolvers that raised other than FieldError


CURRENT: ContextVar[Ctx] = ContextVar("graphql_request")
"""The request being executed (set by graphql_run around `execute`), for nodes that read request-wide
state such as the double's blob text limit without threading it through every constructor."""


class FieldError(Exception):
    """Nulls the field and adds `{"type": kind, "path", "locations", "message"}` to `errors`, as GitHub
    reports e.g. NOT_FOUND."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class GNode:
    """A value of a GraphQL object type. `typename` names its concrete type where a field returns an
    interface or union (a class attribute, or set per instance where the type varies)."""

    typename: str = "Node"


def ts(when: datetime | None) -> str | None:
    return None if when is None else when.strftime("%Y-%m-%dT%H:%M:%SZ")


def visible(ctx: Ctx, repo: Repo) -> bool:
    """Whether the caller may see the repository: its installation's, or a user's with a role on it."""
    p = ctx.principal
    if p.kind == "installation":
        return repo.installation_id == p.installation_id
    return not repo.private or ctx.state.role(repo, p.user.login) != "none"


def _cursor(n: int) -> str:
    return base64.b64encode(f"cursor:{n}".encode()).decode()


def _offset(after: Any) -> int:
    if not after:
        return 0
    try:
        return int(base64.b64decode(str(after)).decode().split(":", 1)[1])
    except (ValueError, IndexError):
        raise FieldError(
            "INVALID_CURSOR_ARGUMENTS", f"`{after}` does not appear to be a valid cursor."
        ) from None


class Connection(GNode):
    """One page of `items` (`first` between 1 and `limit`, after the cursor `after`)."""

    def __init__(self, typename: str, items: list[Any], args: Json, *, limit: int = 100) -> None:
        first = args.get("first")
        if not isinstance(first, int) or not 1 <= first <= limit:
            raise FieldError("INVALID", f"`first` must be an integer between 1 and {limit}.")
        start = _offset(args.get("after"))
        self.typename = typename
        self.total = len(items)
        self.start = start
        self.page = items[start : start + first]

    def f_totalCount(self, args: Json) -> int:
        return self.total

    def f_nodes(self, args: Json) -> list[Any]:
        return self.page

    def f_edges(self, args: Json) -> list[Any]:
        return [Edge(node, _cursor(self.start + i + 1)) for i, node in enumerate(self.page)]

    def f_pageInfo(self, args: Json) -> PageInfo:
        end = self.start + len(self.page)
        return PageInfo(end < self.total, self.start > 0, _cursor(self.start + 1), _cursor(end))


class Edge(GNode):
    def __init__(self, node: Any, cursor: str) -> None:
        self.node, self.cursor = node, cursor

    def f_node(self, args: Json) -> Any:
        return self.node

    def f_cursor(self, args: Json) -> str:
        return self.cursor


class PageInfo(GNode):
    typename = "PageInfo"

    def __init__(self, has_next: bool, has_previous: bool, start: str, end: str) -> None:
        self.has_next, self.has_previous, self.start, self.end = has_next, has_previous, start, end

    def f_hasNextPage(self, args: Json) -> bool:
        return self.has_next

    def f_hasPreviousPage(self, args: Json) -> bool:
        return self.has_previous

    def f_startCursor(self, args: Json) -> str:
        return self.start

    def f_endCursor(self, args: Json) -> str:
        return self.end
