"""Helpers every route uses: the context, the caller, the visible repository, bodies and pagination."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import JSONResponse

from .auth import Principal
from .context import Context
from .errors import ApiError, not_found, validation_failed
from .model import Repo
from .shapes import Shapes

MAX_BODY = 65536


def ctx_of(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def principal_of(request: Request) -> Principal:
    principal: Principal | None = request.state.principal
    if principal is None:  # pragma: no cover - the middleware authenticates every request first
        raise ApiError(401, "Requires authentication")
    return principal


def shapes_of(request: Request) -> Shapes:
    return Shapes(ctx_of(request).state, str(request.base_url))


def visible_repo(request: Request, owner: str, name: str) -> Repo:
    """The repository, if the caller may see it (others get 404, as on GitHub)."""
    state = ctx_of(request).state
    principal = principal_of(request)
    repo = state.repo(owner, name)
    if principal.kind == "installation":
        if repo.installation_id != principal.installation_id:
            raise not_found()
    elif principal.kind == "user":
        if repo.private and state.role(repo, principal.user.login) == "none":
            raise not_found()
    else:
        raise ApiError(403, "Resource not accessible by integration")
    return repo


async def json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        value = await request.json()
    except ValueError:
        raise ApiError(400, "Problems parsing JSON") from None
    if not isinstance(value, dict):
        raise ApiError(400, "Problems parsing JSON")
    return value


def check_text(resource: str, field: str, value: Any, *, required: bool, limit: int = MAX_BODY) -> str | None:
    if value is None:
        if required:
            raise validation_failed(resource, field, "missing_field")
        return None
    if not isinstance(value, str):
        raise validation_failed(resource, field, "invalid")
    if len(value) > limit:
        raise validation_failed(
            resource, field, "custom", f"{field} is too long (maximum is {limit} characters)"
        )
    return value


def page_args(request: Request) -> tuple[int, int]:
    def number(name: str, default: int) -> int:
        try:
            return int(request.query_params.get(name, default))
        except ValueError:
            return default

    return min(max(number("per_page", 30), 1), 100), max(number("page", 1), 1)


def paginate(
    request: Request, items: list[Any], *, wrap: str | None = None, extra: dict[str, Any] | None = None
) -> JSONResponse:
    """One page of `items` with GitHub's `Link` header (githubkit's paginator follows rel="next")."""
    per_page, page = page_args(request)
    last = max((len(items) + per_page - 1) // per_page, 1)
    chunk = items[(page - 1) * per_page : page * per_page]
    links = []

    def url(p: int) -> str:
        query = dict(request.query_params)
        query.update(page=str(p), per_page=str(per_page))
        return f"{str(request.url).split('?')[0]}?{urlencode(query)}"

    if page < last:
        links += [f'<{url(page + 1)}>; rel="next"', f'<{url(last)}>; rel="last"']
    if page > 1:
        links += [f'<{url(1)}>; rel="first"', f'<{url(min(page - 1, last))}>; rel="prev"']
    headers = {"link": ", ".join(links)} if links else {}
    content: Any = chunk if wrap is None else {**(extra or {}), wrap: chunk}
    return JSONResponse(content, headers=headers)
