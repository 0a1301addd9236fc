"""Check runs and their annotations, validated as GitHub does."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .deps import ctx_of, json_body, paginate, principal_of, shapes_of, visible_repo
from .errors import ApiError, not_found, validation_failed
from .model import Annotation, CheckRun, make_node_id
from .state import utcnow

router = APIRouter()
STATUSES = ("queued", "in_progress", "completed", "waiting", "requested", "pending")
CONCLUSIONS = (
    "action_required",
    "cancelled",
    "failure",
    "neutral",
    "success",
    "skipped",
    "stale",
    "timed_out",
)
LEVELS = ("notice", "warning", "failure")
MAX_ANNOTATIONS = 50
MAX_OUTPUT = 65535


def _time(field: str, value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise validation_failed("CheckRun", field, "invalid") from None


def _annotation(item: Any) -> Annotation:
    if not isinstance(item, dict):
        raise validation_failed("CheckRun", "annotations", "invalid")
    for key in ("path", "start_line", "end_line", "annotation_level", "message"):
        if item.get(key) is None:
            raise validation_failed("CheckRun", f"annotations.{key}", "missing_field")
    if not isinstance(item["start_line"], int) or not isinstance(item["end_line"], int):
        raise validation_failed("CheckRun", "annotations.start_line", "invalid")
    if item["annotation_level"] not in LEVELS:
        raise validation_failed("CheckRun", "annotations.annotation_level", "invalid")
    has_columns = item.get("start_column") is not None or item.get("end_column") is not None
    if has_columns and item["start_line"] != item["end_line"]:
        raise ApiError(
            422,
            "Invalid request.\n\nstart_column and end_column may only be used when start_line and end_line are equal.",
        )
    return Annotation(
        path=item["path"],
        start_line=item["start_line"],
        end_line=item["end_line"],
        annotation_level=item["annotation_level"],
        message=item["message"],
        start_column=item.get("start_column"),
        end_column=item.get("end_column"),
        title=item.get("title"),
        raw_details=item.get("raw_details"),
    )


def _apply(run: CheckRun, body: dict[str, Any], *, creating: bool) -> None:
    """Validate everything first, then change `run` (a 422 leaves it untouched)."""
    status = body.get("status")
    conclusion = body.get("conclusion")
    if status is not None and status not in STATUSES:
        raise validation_failed("CheckRun", "status", "invalid")
    if conclusion is not None and conclusion not in CONCLUSIONS:
        raise validation_failed("CheckRun", "conclusion", "invalid")
    if conclusion is not None:
        status = "completed"  # as documented: a conclusion completes the run
    if status == "completed" and conclusion is None and run.conclusion is None:
        raise ApiError(
            422, 'Invalid request.\n\nNo subschema in "anyOf" matched.\n"conclusion" wasn\'t supplied.'
        )
    started_at = _time("started_at", body.get("started_at"))
    completed_at = _time("completed_at", body.get("completed_at"))
    output = body.get("output")
    annotations: list[Annotation] = []
    if output is not None:
        if not isinstance(output, dict):
            raise validation_failed("CheckRun", "output", "invalid")
        required = ("title", "summary") if creating else ("summary",)
        for key in required:
            if not isinstance(output.get(key), str):
                raise validation_failed("CheckRun", f"output.{key}", "missing_field")
        for key in ("summary", "text"):
            value = output.get(key)
            if isinstance(value, str) and len(value) > MAX_OUTPUT:
                raise ApiError(
                    422,
                    f"Invalid request.\n\nOnly 65535 characters are allowed; {len(value)} were supplied.",
                    errors=[{"resource": "CheckRun", "code": "custom", "field": f"output.{key}"}],
                )
        raw_annotations = output.get("annotations") or []
        if not isinstance(raw_annotations, list):
            raise validation_failed("CheckRun", "output.annotations", "invalid")
        if len(raw_annotations) > MAX_ANNOTATIONS:
            raise ApiError(
                422,
                f"Invalid request.\n\nOnly {MAX_ANNOTATIONS} annotations are allowed per request; "
                f"{len(raw_annotations)} were supplied.",
            )
        annotations = [_annotation(a) for a in raw_annotations]

    for key in ("name", "details_url", "external_id"):
        if key in body:
            setattr(run, key, body[key])
    if status is not None:
        run.status = status
    if conclusion is not None:
        run.conclusion = conclusion
    if started_at is not None:
        run.started_at = started_at
    elif creating:
        run.started_at = utcnow()
    if run.status == "completed":
        run.completed_at = completed_at or run.completed_at or utcnow()
    if output is not None:
        if "title" in output:
            run.title = output["title"]
        run.summary = output["summary"]
        if "text" in output:
            run.text = output["text"]
        run.annotations += annotations  # GitHub accumulates annotations over updates


@router.post("/repos/{owner}/{repo}/check-runs")
async def create_check_run(request: Request, owner: str, repo: str) -> Any:
    state = ctx_of(request).state
    body = await json_body(request)
    if principal_of(request).kind != "installation":
        raise ApiError(403, "You must authenticate via a GitHub App.")
    for key in ("name", "head_sha"):
        if not isinstance(body.get(key), str) or not body[key]:
            raise validation_failed("CheckRun", key, "missing_field")
    with state.lock:
        r = visible_repo(request, owner, repo)
        head_sha = body["head_sha"].lower()
        if head_sha not in r.objects.commits:
            raise ApiError(422, f"No commit found for SHA: {body['head_sha']}")
        run_id = state.next_id()
        run = CheckRun(
            run_id, make_node_id("CR", run_id), body["name"], head_sha, state.app.id, state.next_id()
        )
        _apply(run, body, creating=True)
        r.check_runs[run_id] = run
        return JSONResponse(shapes_of(request).check_run(r, run), status_code=201)


@router.get("/repos/{owner}/{repo}/check-runs/{run_id:int}")
async def get_check_run(request: Request, owner: str, repo: str, run_id: int) -> Any:
    with ctx_of(request).state.lock:
        r = visible_repo(request, owner, repo)
        if run_id not in r.check_runs:
            raise not_found()
        return shapes_of(request).check_run(r, r.check_runs[run_id])


@router.patch("/repos/{owner}/{repo}/check-runs/{run_id:int}")
async def update_check_run(request: Request, owner: str, repo: str, run_id: int) -> Any:
    state = ctx_of(request).state
    body = await json_body(request)
    if principal_of(request).kind != "installation":
        raise ApiError(403, "You must authenticate via a GitHub App.")
    with state.lock:
        r = visible_repo(request, owner, repo)
        if run_id not in r.check_runs:
            raise not_found()
        run = r.check_runs[run_id]
        _apply(run, body, creating=False)
        return shapes_of(request).check_run(r, run)


@router.get("/repos/{owner}/{repo}/check-runs/{run_id:int}/annotations")
async def list_annotations(request: Request, owner: str, repo: str, run_id: int) -> Any:
    with ctx_of(request).state.lock:
        r = visible_repo(request, owner, repo)
        if run_id not in r.check_runs:
            raise not_found()
        run = r.check_runs[run_id]
        shapes = shapes_of(request)
        return paginate(request, [shapes.annotation(r, run, a) for a in run.annotations])


@router.get("/repos/{owner}/{repo}/commits/{ref:path}/check-runs")
async def list_for_ref(request: Request, owner: str, repo: str, ref: str) -> Any:
    state = ctx_of(request).state
    q = request.query_params
    with state.lock:
        r = visible_repo(request, owner, repo)
        sha = state.resolve(r, ref)
        if sha is None:
            raise ApiError(422, f"No commit found for SHA: {ref}")
        runs = sorted((x for x in r.check_runs.values() if x.head_sha == sha), key=lambda x: -x.id)
        if q.get("check_name"):
            runs = [x for x in runs if x.name == q["check_name"]]
        if q.get("status"):
            runs = [x for x in runs if x.status == q["status"]]
        if q.get("app_id"):
            runs = [x for x in runs if str(x.app_id) == q["app_id"]]
        if q.get("filter", "latest") == "latest":
            seen: set[tuple[str, int]] = set()
            latest = []
            for x in runs:
                if (x.name, x.app_id) not in seen:
                    seen.add((x.name, x.app_id))
                    latest.append(x)
            runs = latest
        shapes = shapes_of(request)
        return paginate(
            request,
            [shapes.check_run(r, x) for x in runs],
            wrap="check_runs",
            extra={"total_count": len(runs)},
        )
