"""POST /graphql: one request, run by graphql_run.py against GitHub's real schema and the double's state.

Answers as GitHub does: 200 with `data` and, for failed fields, `errors` (type, path, locations, message);
a document that does not parse or fails validation gets only `errors`. Fields the double does not model are
noted on the request (`request.state.unmodelled`), which the request log keeps."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request

from .deps import ctx_of, json_body, principal_of
from .errors import ApiError
from .graphql_base import Ctx
from .graphql_run import run
from .graphql_schema_load import SchemaMissing, build_seconds, load_schema

router = APIRouter()


@router.post("/graphql")
async def graphql(request: Request) -> Any:
    body = await json_body(request)
    query = body.get("query")
    variables = body.get("variables") or {}
    if not isinstance(query, str) or not isinstance(variables, dict):
        return {"errors": [{"message": "A query attribute must be specified and must be a string."}]}
    if build_seconds() is None:  # the first request of the process builds the schema, off the event loop
        try:
            await asyncio.to_thread(load_schema)
        except SchemaMissing as err:
            raise ApiError(503, str(err)) from None
    state = ctx_of(request).state
    ctx = Ctx(state, principal_of(request))
    operation = body.get("operationName")
    with state.lock:
        answer = run(ctx, query, variables, operation if isinstance(operation, str) else None)
    request.state.unmodelled = tuple(ctx.unmodelled)
    return answer
