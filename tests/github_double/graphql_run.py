"""Running one GraphQL request with graphql-core against GitHub's real schema (graphql_schema_load.py) and
the double's resolvers (graphql_roots.py and the node modules it uses).

A document is parsed and validated once (cached by its text); one that does not parse or fails validation
answers `{"errors": [...]}` without `data`, in GitHub's words where the double knows them (e.g. "Field 'x'
doesn't exist on type 'Repository'", `extensions.code: "undefinedField"`). A field is resolved by the node's
method `f_<field>`; a field of the real schema that the double does not model answers null and is recorded
as `Type.field` in `Ctx.unmodelled` (a non-null one then fails upwards, as graphql-core does for any null)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSyntaxError,
    execute,
    get_operation_ast,
    parse,
    validate,
)
from graphql.language import OperationType

from .graphql_base import CURRENT, Ctx, FieldError, GNode, Json
from .graphql_roots import MutationRoot, QueryRoot
from .graphql_schema_load import load_schema

_Q = "['\"]"
# graphql-core's validation messages -> GitHub's message and extensions (code and the names it gives)
_GITHUB_WORDS: list[tuple[re.Pattern[str], str, str, tuple[str, ...]]] = [
    (
        re.compile(rf"^Cannot query field {_Q}(?P<fieldName>\w+){_Q} on type {_Q}(?P<typeName>\w+){_Q}"),
        "Field '{fieldName}' doesn't exist on type '{typeName}'",
        "undefinedField",
        ("typeName", "fieldName"),
    ),
    (
        re.compile(rf"^Unknown argument {_Q}(?P<argumentName>\w+){_Q} on field {_Q}\w+\.(?P<name>\w+){_Q}"),
        "Field '{name}' doesn't accept argument '{argumentName}'",
        "argumentNotAccepted",
        ("name", "argumentName"),
    ),
    (
        re.compile(  # graphql-core 3.2 | 3.3
            rf"^(?:Field {_Q}(?P<name>\w+){_Q} argument {_Q}(?P<arguments>\w+){_Q}"
            rf"|Argument {_Q}\w+\.(?P<name2>\w+)\((?P<arguments2>\w+):\){_Q}) of type .* is required"
        ),
        "Field '{name}' is missing required arguments: {arguments}",
        "missingRequiredArguments",
        ("name", "arguments"),
    ),
    (
        re.compile(rf"^Variable {_Q}\$(?P<variableName>\w+){_Q} is not defined"),
        "Variable ${variableName} is used but not declared",
        "variableNotDefined",
        ("variableName",),
    ),
    (
        re.compile(rf"^Variable {_Q}\$(?P<variableName>\w+){_Q} is never used"),
        "Variable ${variableName} is declared but not used",
        "variableNotUsed",
        ("variableName",),
    ),
]


def _locations(err: GraphQLError) -> list[dict[str, int]] | None:
    if not err.locations:
        return None
    return [{"line": loc.line, "column": loc.column} for loc in err.locations]


def _invalid(err: GraphQLError) -> Json:
    """A validation error as GitHub words it (graphql-core's own words where the double knows no better)."""
    out: Json = {"message": err.message}
    for pattern, message, code, names in _GITHUB_WORDS:
        m = pattern.match(err.message)
        if m:
            found = {n: m.group(n) or m.groupdict().get(f"{n}2") for n in names}
            out = {"extensions": {"code": code, **found}, "message": message.format(**found)}
            break
    locations = _locations(err)
    return {**out, "locations": locations} if locations else out


@lru_cache(maxsize=512)
def _checked(query: str) -> tuple[DocumentNode | None, tuple[Json, ...]]:
    """The parsed document, or None and the errors that refuse it."""
    try:
        document = parse(query)
    except GraphQLSyntaxError as err:
        return None, ({"message": f"Parse error: {err.message}", "locations": _locations(err)},)
    errors = validate(load_schema(), document)
    if errors:
        return None, tuple(_invalid(e) for e in errors)
    return document, ()


def _resolve(source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    """The modelled resolver of (type, field): the node's `f_<field>`; None and a record when there is none."""
    method = getattr(type(source), f"f_{info.field_name}", None) if isinstance(source, GNode) else None
    ctx: Ctx = info.context
    if method is None:
        ctx.unmodelled.append(f"{info.parent_type.name}.{info.field_name}")
        return None
    try:
        return method(source, args)
    except FieldError:
        raise
    except Exception as exc:
        ctx.crashed.append(exc)
        raise


def _typename(value: Any, info: GraphQLResolveInfo, abstract_type: Any) -> str | None:
    return value.typename if isinstance(value, GNode) else None


def _field_error(err: GraphQLError) -> Json:
    original = err.original_error
    out: Json = {"type": original.kind} if isinstance(original, FieldError) else {}
    if err.path is not None:
        out["path"] = list(err.path)
    locations = _locations(err)
    if locations:
        out["locations"] = locations
    out["message"] = err.message
    return out


def run(ctx: Ctx, query: str, variables: Json, operation_name: str | None) -> Json:
    """The JSON answer to one request. Call with the state's lock held."""
    document, refusal = _checked(query)
    if document is None:
        return {"errors": list(refusal)}
    operation = get_operation_ast(document, operation_name)
    is_mutation = operation is not None and operation.operation == OperationType.MUTATION
    root = MutationRoot(ctx) if is_mutation else QueryRoot(ctx)
    token = CURRENT.set(ctx)
    try:
        result = execute(
            load_schema(),
            document,
            root_value=root,
            context_value=ctx,
            variable_values=variables,
            operation_name=operation_name,
            field_resolver=_resolve,
            type_resolver=_typename,
        )
    finally:
        CURRENT.reset(token)
    assert not hasattr(result, "__await__"), "the double's resolvers are synchronous"
    if ctx.crashed:  # a bug in a resolver is the double's, not the caller's: fail loudly (500)
        raise ctx.crashed[0]
    errors = list(result.errors or [])
    answer: Json = {} if result.data is None else {"data": result.data}
    if errors:
        answer["errors"] = [_field_error(e) for e in errors]
    return answer
