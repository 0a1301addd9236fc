"""Repositories and their git data: branches, commits, contents, trees, blobs, compare, pull requests,
collaborator permissions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from .deps import ctx_of, paginate, shapes_of, visible_repo
from .errors import ApiError, not_found
from .git import ObjectStore
from .model import Repo
from .state import GitHubState

router = APIRouter()
RAW = "application/vnd.github.raw"


def _wants_raw(request: Request) -> bool:
    return "raw" in request.headers.get("accept", "")


def _subtree(objects: ObjectStore, root: str, path: str) -> str | None:
    tree = root
    for part in [p for p in path.split("/") if p]:
        entry = next((e for e in objects.trees[tree] if e.name == part and e.type == "tree"), None)
        if entry is None:
            return None
        tree = entry.sha
    return tree


@router.get("/repos/{owner}/{repo}")
async def get_repo(request: Request, owner: str, repo: str) -> Any:
    with ctx_of(request).state.lock:
        return shapes_of(request).repo(visible_repo(request, owner, repo))


@router.get("/repos/{owner}/{repo}/branches/{branch:path}")
async def get_branch(request: Request, owner: str, repo: str, branch: str) -> Any:
    with ctx_of(request).state.lock:
        r = visible_repo(request, owner, repo)
        if branch not in r.branches:
            raise ApiError(404, "Branch not found")
        return shapes_of(request).branch(r, branch)


@router.get("/repos/{owner}/{repo}/git/ref/{ref:path}")
async def get_git_ref(request: Request, owner: str, repo: str, ref: str) -> Any:
    state = ctx_of(request).state
    with state.lock:
        r = visible_repo(request, owner, repo)
        kind, _, name = ref.partition("/")
        table = {"heads": r.branches, "tags": r.tags}.get(kind, {})
        if name not in table:
            raise not_found()
        return shapes_of(request).git_ref(r, f"refs/{ref}", table[name])


@router.get("/repos/{owner}/{repo}/commits/{ref:path}/pulls")
async def commit_pulls(request: Request, owner: str, repo: str, ref: str) -> Any:
    state = ctx_of(request).state
    with state.lock:
        r = visible_repo(request, owner, repo)
        sha = state.resolve(r, ref)
        if sha is None:
            raise ApiError(422, f"No commit found for SHA: {ref}")
        shapes = shapes_of(request)
        found = []
        for number in sorted(r.issues, reverse=True):
            issue = r.issues[number]
            if issue.pull is None or issue.deleted:
                continue
            state.pull(r, number)
            if sha in {c.sha for c in r.objects.commits_between(issue.pull.base_sha, issue.pull.head_sha)}:
                found.append(shapes.pull(r, issue))
        return paginate(request, found)


@router.get("/repos/{owner}/{repo}/commits/{ref:path}")
async def get_commit(request: Request, owner: str, repo: str, ref: str) -> Any:
    state = ctx_of(request).state
    with state.lock:
        r = visible_repo(request, owner, repo)
        commit = state.commit(r, ref)
        if commit is None:
            raise ApiError(422, f"No commit found for SHA: {ref}")
        return shapes_of(request).commit(r, commit, files=True)


@router.get("/repos/{owner}/{repo}/contents")
@router.get("/repos/{owner}/{repo}/contents/{path:path}")
async def get_content(request: Request, owner: str, repo: str, path: str = "") -> Any:
    state = ctx_of(request).state
    with state.lock:
        r = visible_repo(request, owner, repo)
        ref = request.query_params.get("ref") or r.default_branch
        commit = state.commit(r, ref)
        if commit is None:
            raise ApiError(404, f"No commit found for the ref {ref}")
        path = path.strip("/")
        shapes = shapes_of(request)
        if path in commit.files:
            sha = commit.files[path]
            if _wants_raw(request):
                return Response(r.objects.blobs[sha], media_type=RAW)
            return shapes.content_file(r, ref, path, sha)
        tree = _subtree(r.objects, commit.tree, path)
        if tree is None:
            raise not_found()
        prefix = f"{path}/" if path else ""
        return [
            shapes.content_item(
                r, ref, prefix + e.name, "dir" if e.type == "tree" else "file", e.sha, e.size or 0
            )
            for e in r.objects.trees[tree]
        ]


@router.get("/repos/{owner}/{repo}/git/trees/{tree_sha:path}")
async def get_tree(request: Request, owner: str, repo: str, tree_sha: str) -> Any:
    state = ctx_of(request).state
    with state.lock:
        r = visible_repo(request, owner, repo)
        if tree_sha not in r.objects.trees:
            commit = state.commit(r, tree_sha)
            if commit is None:
                raise not_found()
            tree_sha = commit.tree
        # GitHub recurses whenever the parameter is present, whatever its value
        return shapes_of(request).tree(r, tree_sha, "recursive" in request.query_params)


@router.get("/repos/{owner}/{repo}/git/blobs/{sha}")
async def get_blob(request: Request, owner: str, repo: str, sha: str) -> Any:
    with ctx_of(request).state.lock:
        r = visible_repo(request, owner, repo)
        if sha not in r.objects.blobs:
            raise not_found()
        if _wants_raw(request):
            return Response(r.objects.blobs[sha], media_type=RAW)
        return shapes_of(request).blob(r, sha)


def _side(state: GitHubState, r: Repo, ref: str) -> str:
    if ":" in ref:  # "owner:branch" (forks are not modelled; the owner must be this repository's)
        ref = ref.split(":", 1)[1]
    sha = state.resolve(r, ref)
    if sha is None:
        raise not_found()
    return sha


@router.get("/repos/{owner}/{repo}/compare/{basehead:path}")
async def compare(request: Request, owner: str, repo: str, basehead: str) -> Any:
    state = ctx_of(request).state
    with state.lock:
        r = visible_repo(request, owner, repo)
        if "..." not in basehead:
            raise not_found()
        base, head = basehead.split("...", 1)
        return shapes_of(request).comparison(r, _side(state, r, base), _side(state, r, head), basehead)


@router.get("/repos/{owner}/{repo}/pulls")
async def list_pulls(request: Request, owner: str, repo: str) -> Any:
    state = ctx_of(request).state
    q = request.query_params
    with state.lock:
        r = visible_repo(request, owner, repo)
        shapes = shapes_of(request)
        wanted_state = q.get("state", "open")
        head = q.get("head")
        head_ref = head.split(":", 1)[-1] if head else None
        found = []
        for number in sorted(r.issues, reverse=True):
            issue = r.issues[number]
            if issue.pull is None or issue.deleted:
                continue
            if wanted_state != "all" and issue.state != wanted_state:
                continue
            if head_ref is not None and issue.pull.head_ref != head_ref:
                continue
            if q.get("base") and issue.pull.base_ref != q["base"]:
                continue
            state.pull(r, number)
            found.append(shapes.pull(r, issue))
        return paginate(request, found)


@router.get("/repos/{owner}/{repo}/pulls/{number:int}")
async def get_pull(request: Request, owner: str, repo: str, number: int) -> Any:
    state = ctx_of(request).state
    with state.lock:
        r = visible_repo(request, owner, repo)
        return shapes_of(request).pull(r, state.pull(r, number))


@router.get("/repos/{owner}/{repo}/pulls/{number:int}/files")
async def pull_files(request: Request, owner: str, repo: str, number: int) -> Any:
    state = ctx_of(request).state
    with state.lock:
        r = visible_repo(request, owner, repo)
        issue = state.pull(r, number)
        assert issue.pull is not None
        shapes = shapes_of(request)
        head = issue.pull.head_sha
        return paginate(request, [shapes.diff_entry(r, x, head) for x in state.pull_files(r, issue)])


@router.get("/repos/{owner}/{repo}/collaborators/{username}/permission")
async def collaborator_permission(request: Request, owner: str, repo: str, username: str) -> Any:
    state = ctx_of(request).state
    with state.lock:
        r = visible_repo(request, owner, repo)
        user = state.known_user(username)
        if user is None or user.type == "Organization":
            raise ApiError(404, f"{username} is not a user")
        return JSONResponse(shapes_of(request).permission(r, user, state.role(r, username)))
