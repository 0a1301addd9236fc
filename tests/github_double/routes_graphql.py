"""POST /graphql: parse the document, run it against the double's schema slice (graphql_schema.py).

Answers as GitHub does: 200 with `data` and, for failed fields, `errors` (type, path, locations, message);
a document that does not parse or asks for an unknown field gets only `errors`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from .deps import ctx_of, json_body, principal_of
from .graphql_exec import Executor, QueryError
from .graphql_parse import GraphQLSyntaxError, parse
from .graphql_schema import Ctx, MutationRoot, QueryRoot

router = APIRouter()


@router.post("/graphql")
async def graphql(request: Request) -> Any:
    body = await json_body(request)
    query = body.get("query")
    variables = body.get("variables") or {}
    if not isinstance(query, str) or not isinstance(variables, dict):
        return {"errors": [{"message": "A query attribute must be specified and must be a string."}]}
    try:
        doc = parse(query)
    except GraphQLSyntaxError as err:
        return {"errors": [{"message": err.message, "locations": [{"line": err.line, "column": err.column}]}]}
    state = ctx_of(request).state
    ctx = Ctx(state, principal_of(request))
    executor = Executor(doc, dict(variables))
    with state.lock:
        try:
            op = executor.operation(body.get("operationName"))
            root = MutationRoot(ctx) if op.kind == "mutation" else QueryRoot(ctx)
            data = executor.run(op, root)
        except QueryError as err:
            return {"errors": [err.error]}
    return {"data": data, "errors": executor.errors} if executor.errors else {"data": data}
