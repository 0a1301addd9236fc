"""Issues (pull requests are issues too), their comments and reactions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from .deps import check_text, ctx_of, json_body, paginate, principal_of, shapes_of, visible_repo
from .errors import ApiError, validation_failed
from .model import REACTIONS, Issue, Reaction, Repo, User
from .state import GitHubState, utcnow

router = APIRouter()
STATE_REASONS = ("completed", "not_planned", "reopened", "duplicate")


def _labels(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise validation_failed("Issue", "labels", "invalid")
    names = []
    for item in value:
        name = item.get("name") if isinstance(item, dict) else item
        if not isinstance(name, str) or not name:
            raise validation_failed("Label", "name", "invalid")
        names.append(name)
    return list(dict.fromkeys(names))


def _assignees(state: GitHubState, value: Any) -> list[User]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise validation_failed("Issue", "assignees", "invalid")
    return [state.user(v) for v in value]


def _may_comment(state: GitHubState, request: Request, repo: Repo, issue: Issue) -> None:
    principal = principal_of(request)
    if (
        issue.locked
        and principal.kind == "user"
        and state.role(repo, principal.user.login)
        not in (
            "admin",
            "maintain",
            "write",
        )
    ):
        raise ApiError(403, "Unable to create comment because issue is locked.")


# -- issues --------------------------------------------------------------------------------------------------


@router.get("/repos/{owner}/{repo}/issues")
async def list_issues(request: Request, owner: str, repo: str) -> Any:
    state = ctx_of(request).state
    q = request.query_params
    wanted = q.get("state", "open")
    if wanted not in ("open", "closed", "all"):
        raise validation_failed("Issue", "state", "invalid")
    with state.lock:
        r = visible_repo(request, owner, repo)
        found = [i for i in r.issues.values() if not i.deleted and wanted in ("all", i.state)]
        if q.get("creator"):
            found = [i for i in found if i.user.login.lower() == q["creator"].lower()]
        if q.get("labels"):
            required = {x.strip() for x in q["labels"].split(",") if x.strip()}
            found = [i for i in found if required <= set(i.labels)]
        if q.get("since"):
            since = datetime.fromisoformat(q["since"].replace("Z", "+00:00"))
            found = [i for i in found if i.updated_at >= since]
        sort = q.get("sort", "created")
        key = {"updated": lambda i: (i.updated_at, i.number)}.get(sort, lambda i: (i.created_at, i.number))
        found.sort(key=key, reverse=q.get("direction", "desc") != "asc")
        shapes = shapes_of(request)
        return paginate(request, [shapes.issue(r, i) for i in found])


@router.post("/repos/{owner}/{repo}/issues")
async def create_issue(request: Request, owner: str, repo: str) -> Any:
    state = ctx_of(request).state
    body = await json_body(request)
    title = check_text("Issue", "title", body.get("title"), required=True)
    if not title:
        raise validation_failed("Issue", "title", "missing_field")
    text = check_text("Issue", "body", body.get("body"), required=False)
    with state.lock:
        r = visible_repo(request, owner, repo)
        labels = _labels(body["labels"]) if body.get("labels") is not None else []
        assignees = _assignees(state, body["assignees"]) if body.get("assignees") is not None else []
        issue = state.create_issue(
            r, principal_of(request).user, title, text, labels=labels, assignees=assignees
        )
        shape = shapes_of(request).issue(r, issue)
        return JSONResponse(shape, status_code=201, headers={"location": shape["url"]})


@router.get("/repos/{owner}/{repo}/issues/{number:int}")
async def get_issue(request: Request, owner: str, repo: str, number: int) -> Any:
    state = ctx_of(request).state
    with state.lock:
        r = visible_repo(request, owner, repo)
        return shapes_of(request).issue(r, state.issue(r, number))


@router.patch("/repos/{owner}/{repo}/issues/{number:int}")
async def update_issue(request: Request, owner: str, repo: str, number: int) -> Any:
    state = ctx_of(request).state
    body = await json_body(request)
    with state.lock:
        r = visible_repo(request, owner, repo)
        issue = state.issue(r, number)
        if "title" in body:
            title = check_text("Issue", "title", body["title"], required=True)
            if not title:
                raise validation_failed("Issue", "title", "missing_field")
        if "body" in body:
            check_text("Issue", "body", body["body"], required=False)
        if "state" in body and body["state"] not in ("open", "closed"):
            raise validation_failed("Issue", "state", "invalid")
        if body.get("state_reason") is not None and body["state_reason"] not in STATE_REASONS:
            raise validation_failed("Issue", "state_reason", "invalid")
        labels = _labels(body["labels"]) if body.get("labels") is not None else None
        assignees = _assignees(state, body["assignees"]) if body.get("assignees") is not None else None
        if "title" in body:
            issue.title = body["title"]
        if "body" in body:
            issue.body = body["body"]
        if labels is not None:
            issue.labels = labels
        if assignees is not None:
            issue.assignees = assignees
        if "state" in body:
            state.set_state(issue, body["state"], body.get("state_reason"), principal_of(request).user)
        elif body.get("state_reason") and issue.state == "closed":
            issue.state_reason = body["state_reason"]
        issue.updated_at = utcnow()
        return shapes_of(request).issue(r, issue)


# -- comments ------------------------------------------------------------------------------------------------


@router.get("/repos/{owner}/{repo}/issues/{number:int}/comments")
async def list_comments(request: Request, owner: str, repo: str, number: int) -> Any:
    state = ctx_of(request).state
    with state.lock:
        r = visible_repo(request, owner, repo)
        state.issue(r, number)
        comments = state.comments_of(r, number)
        if request.query_params.get("since"):
            since = datetime.fromisoformat(request.query_params["since"].replace("Z", "+00:00"))
            comments = [c for c in comments if c.updated_at >= since]
        shapes = shapes_of(request)
        return paginate(request, [shapes.comment(r, c) for c in comments])


@router.post("/repos/{owner}/{repo}/issues/{number:int}/comments")
async def create_comment(request: Request, owner: str, repo: str, number: int) -> Any:
    state = ctx_of(request).state
    body = await json_body(request)
    text = check_text("IssueComment", "body", body.get("body"), required=True)
    if not text:
        raise validation_failed("IssueComment", "body", "missing_field")
    with state.lock:
        r = visible_repo(request, owner, repo)
        issue = state.issue(r, number)
        _may_comment(state, request, r, issue)
        comment = state.create_comment(r, number, principal_of(request).user, text)
        shape = shapes_of(request).comment(r, comment)
        return JSONResponse(shape, status_code=201, headers={"location": shape["url"]})


@router.get("/repos/{owner}/{repo}/issues/comments/{comment_id:int}")
async def get_comment(request: Request, owner: str, repo: str, comment_id: int) -> Any:
    state = ctx_of(request).state
    with state.lock:
        r = visible_repo(request, owner, repo)
        return shapes_of(request).comment(r, state.comment(r, comment_id))


@router.patch("/repos/{owner}/{repo}/issues/comments/{comment_id:int}")
async def update_comment(request: Request, owner: str, repo: str, comment_id: int) -> Any:
    state = ctx_of(request).state
    body = await json_body(request)
    text = check_text("IssueComment", "body", body.get("body"), required=True)
    if not text:
        raise validation_failed("IssueComment", "body", "missing_field")
    with state.lock:
        r = visible_repo(request, owner, repo)
        comment = state.comment(r, comment_id)
        principal = principal_of(request)
        others = principal.kind == "user" and principal.user.id != comment.user.id
        if others and state.role(r, principal.user.login) not in ("admin", "maintain", "write"):
            raise ApiError(403, "Must have admin rights to Repository.")
        comment.body = text
        comment.updated_at = utcnow()
        return shapes_of(request).comment(r, comment)


@router.delete("/repos/{owner}/{repo}/issues/comments/{comment_id:int}")
async def delete_comment(request: Request, owner: str, repo: str, comment_id: int) -> Any:
    state = ctx_of(request).state
    with state.lock:
        r = visible_repo(request, owner, repo)
        state.delete_comment(r, comment_id)
        return Response(status_code=204)


# -- reactions -----------------------------------------------------------------------------------------------


def _react(request: Request, r: Repo, reactions: list[Reaction], content: Any) -> Any:
    state = ctx_of(request).state
    if content not in REACTIONS:
        raise validation_failed("Reaction", "content", "invalid")
    reaction, created = state.react(reactions, principal_of(request).user, content)
    return JSONResponse(shapes_of(request).reaction(reaction), status_code=201 if created else 200)


def _listed(request: Request, reactions: list[Reaction]) -> Any:
    content = request.query_params.get("content")
    shapes = shapes_of(request)
    return paginate(request, [shapes.reaction(x) for x in reactions if content in (None, x.content)])


@router.get("/repos/{owner}/{repo}/issues/comments/{comment_id:int}/reactions")
async def list_comment_reactions(request: Request, owner: str, repo: str, comment_id: int) -> Any:
    state = ctx_of(request).state
    with state.lock:
        r = visible_repo(request, owner, repo)
        return _listed(request, state.comment(r, comment_id).reactions)


@router.post("/repos/{owner}/{repo}/issues/comments/{comment_id:int}/reactions")
async def react_to_comment(request: Request, owner: str, repo: str, comment_id: int) -> Any:
    state = ctx_of(request).state
    body = await json_body(request)
    with state.lock:
        r = visible_repo(request, owner, repo)
        return _react(request, r, state.comment(r, comment_id).reactions, body.get("content"))


@router.delete("/repos/{owner}/{repo}/issues/comments/{comment_id:int}/reactions/{reaction_id:int}")
async def unreact_to_comment(
    request: Request, owner: str, repo: str, comment_id: int, reaction_id: int
) -> Any:
    state = ctx_of(request).state
    with state.lock:
        r = visible_repo(request, owner, repo)
        reactions = state.comment(r, comment_id).reactions
        reactions[:] = [x for x in reactions if x.id != reaction_id]
        return Response(status_code=204)


@router.get("/repos/{owner}/{repo}/issues/{number:int}/reactions")
async def list_issue_reactions(request: Request, owner: str, repo: str, number: int) -> Any:
    state = ctx_of(request).state
    with state.lock:
        r = visible_repo(request, owner, repo)
        return _listed(request, state.issue(r, number).reactions)


@router.post("/repos/{owner}/{repo}/issues/{number:int}/reactions")
async def react_to_issue(request: Request, owner: str, repo: str, number: int) -> Any:
    state = ctx_of(request).state
    body = await json_body(request)
    with state.lock:
        r = visible_repo(request, owner, repo)
        return _react(request, r, state.issue(r, number).reactions, body.get("content"))


@router.delete("/repos/{owner}/{repo}/issues/{number:int}/reactions/{reaction_id:int}")
async def unreact_to_issue(request: Request, owner: str, repo: str, number: int, reaction_id: int) -> Any:
    state = ctx_of(request).state
    with state.lock:
        r = visible_repo(request, owner, repo)
        reactions = state.issue(r, number).reactions
        reactions[:] = [x for x in reactions if x.id != reaction_id]
        return Response(status_code=204)
