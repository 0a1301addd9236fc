"""The App itself, its installations and installation access tokens."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .deps import ctx_of, paginate, principal_of, shapes_of
from .errors import ApiError

router = APIRouter()


def _require_app(request: Request) -> None:
    if principal_of(request).kind != "app":  # pragma: no cover - the middleware demands a JWT here
        raise ApiError(401, "A JSON web token could not be decoded")


@router.get("/app")
async def get_app(request: Request) -> Any:
    _require_app(request)
    return shapes_of(request).app()


@router.get("/app/installations")
async def list_installations(request: Request) -> Any:
    _require_app(request)
    state, shapes = ctx_of(request).state, shapes_of(request)
    with state.lock:
        items = [shapes.installation(i) for i in sorted(state.installations.values(), key=lambda i: i.id)]
    return paginate(request, items)


@router.get("/app/installations/{installation_id:int}")
async def get_installation(request: Request, installation_id: int) -> Any:
    _require_app(request)
    state = ctx_of(request).state
    with state.lock:
        return shapes_of(request).installation(state.installation(installation_id))


@router.post("/app/installations/{installation_id:int}/access_tokens")
async def create_token(request: Request, installation_id: int) -> Any:
    _require_app(request)
    state = ctx_of(request).state
    with state.lock:
        token = state.issue_token(installation_id)
        return JSONResponse(shapes_of(request).token(token), status_code=201)


@router.get("/repos/{owner}/{repo}/installation")
async def repo_installation(request: Request, owner: str, repo: str) -> Any:
    _require_app(request)
    state = ctx_of(request).state
    with state.lock:
        found = state.repo(owner, repo)
        if found.installation_id is None:
            raise ApiError(404, "Not Found")
        return shapes_of(request).installation(state.installation(found.installation_id))


@router.get("/orgs/{org}/installation")
@router.get("/users/{org}/installation")
async def account_installation(request: Request, org: str) -> Any:
    _require_app(request)
    state = ctx_of(request).state
    with state.lock:
        return shapes_of(request).installation(state.installation_for_account(org))


@router.get("/installation/repositories")
async def installation_repositories(request: Request) -> Any:
    principal = principal_of(request)
    if principal.kind != "installation" or principal.installation_id is None:
        raise ApiError(403, "This endpoint can only be accessed with an installation access token")
    state, shapes = ctx_of(request).state, shapes_of(request)
    with state.lock:
        repos = [shapes.repo(r) for r in state.repos_of(principal.installation_id)]
        return paginate(
            request,
            repos,
            wrap="repositories",
            extra={"total_count": len(repos), "repository_selection": "all"},
        )
