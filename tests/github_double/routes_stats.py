"""What `bot/github/stats.py` reads by REST: `GET /repos/{owner}/{repo}/contributors` (the authors of the
default branch's commits, most commits first, paginated with GitHub's Link header; 204 for an empty
repository)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .deps import ctx_of, paginate, shapes_of, visible_repo

router = APIRouter()


@router.get("/repos/{owner}/{repo}/contributors")
async def list_contributors(request: Request, owner: str, repo: str) -> Any:
    state = ctx_of(request).state
    with state.lock:
        r = visible_repo(request, owner, repo)
        head = r.branches.get(r.default_branch)
        counts: dict[str, int] = {}
        seen: set[str] = set()
        todo = [head] if head else []
        while todo:
            sha = todo.pop()
            if sha in seen or sha not in r.objects.commits:
                continue
            seen.add(sha)
            c = r.objects.commits[sha]
            counts[c.author_name] = counts.get(c.author_name, 0) + 1
            todo.extend(c.parents)
        if not counts:
            return Response(status_code=204)
        shapes = shapes_of(request)
        people = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].lower()))
        items = [{**shapes.user(state.user(login)), "contributions": n} for login, n in people]
    return paginate(request, items)
