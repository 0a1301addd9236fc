"""Executing a parsed GraphQL document against node objects (see graphql_schema.py).

Fields are looked up on the node as `f_<name>(args)`; a field the double does not know is a query-level
`undefinedField` error (as GitHub reports unknown fields), a resolver's `FieldError` nulls that field and
adds an error with its path, as GitHub does for e.g. NOT_FOUND."""

from __future__ import annotations

from typing import Any

from .graphql_parse import Document, Field, FragmentSpread, InlineFragment, Operation, resolve_value

Json = dict[str, Any]


class FieldError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class QueryError(Exception):
    """Fails the whole request: {"errors": [...]} and no data."""

    def __init__(self, error: Json) -> None:
        super().__init__(error["message"])
        self.error = error


class GNode:
    typename: str = "Node"  # a class attribute, or set per instance where the type varies
    implements: frozenset[str] = frozenset()

    def matches(self, type_condition: str | None) -> bool:
        return type_condition is None or type_condition == self.typename or type_condition in self.implements

    def resolver(self, name: str) -> Any:
        """The bound `f_<name>` method, or None for a field this node does not have."""
        return getattr(self, f"f_{name}", None)


def _location(f: Field) -> list[dict[str, int]]:
    return [{"line": f.line, "column": f.column}]


class Executor:
    def __init__(self, doc: Document, variables: Json) -> None:
        self.doc = doc
        self.variables = variables
        self.errors: list[Json] = []

    def operation(self, name: str | None) -> Operation:
        ops = self.doc.operations
        if name:
            found = [op for op in ops if op.name == name]
            if not found:
                raise QueryError({"message": f"No operation named {name!r}"})
            return found[0]
        if len(ops) != 1:
            raise QueryError(
                {"message": "An operation name is required when a document has several operations"}
            )
        return ops[0]

    def run(self, op: Operation, root: GNode) -> Json:
        for var, default in op.defaults.items():
            self.variables.setdefault(var, default)
        return self.select(root, op.selections, [])

    def _collect(self, node: GNode, selections: list[Any], into: dict[str, list[Field]]) -> None:
        for sel in selections:
            if isinstance(sel, Field):
                into.setdefault(sel.key, []).append(sel)
            elif isinstance(sel, InlineFragment):
                if node.matches(sel.type_condition):
                    self._collect(node, sel.selections, into)
            elif isinstance(sel, FragmentSpread):
                fragment = self.doc.fragments.get(sel.name)
                if fragment is None:
                    raise QueryError({"message": f"Fragment {sel.name} was used, but not defined"})
                if node.matches(fragment.type_condition):
                    self._collect(node, fragment.selections, into)

    def select(self, node: GNode, selections: list[Any], path: list[Any]) -> Json:
        fields: dict[str, list[Field]] = {}
        self._collect(node, selections, fields)
        out: Json = {}
        for key, same in fields.items():
            first = same[0]
            if first.name == "__typename":
                out[key] = node.typename
                continue
            args = resolve_value(first.args, self.variables)
            resolver = node.resolver(first.name)
            if resolver is None:
                raise QueryError(
                    {
                        "path": [*path, key],
                        "extensions": {
                            "code": "undefinedField",
                            "typeName": node.typename,
                            "fieldName": first.name,
                        },
                        "locations": _location(first),
                        "message": f"Field '{first.name}' doesn't exist on type '{node.typename}' "
                        "(or the GitHub double does not model it)",
                    }
                )
            try:
                value = resolver(args)
            except FieldError as err:
                self.errors.append(
                    {
                        "type": err.kind,
                        "path": [*path, key],
                        "locations": _location(first),
                        "message": err.message,
                    }
                )
                out[key] = None
                continue
            merged = [s for f in same for s in f.selections]
            out[key] = self.complete(value, first, merged, [*path, key])
        return out

    def complete(self, value: Any, f: Field, selections: list[Any], path: list[Any]) -> Any:
        if value is None:
            return None
        if isinstance(value, list):
            return [self.complete(v, f, selections, [*path, i]) for i, v in enumerate(value)]
        if isinstance(value, GNode):
            if not selections:
                raise QueryError(
                    {
                        "path": path,
                        "locations": _location(f),
                        "message": f"Field must have selections (field '{f.name}' returns {value.typename} "
                        "but has no selections.",
                    }
                )
            return self.select(value, selections, path)
        if selections:
            raise QueryError(
                {
                    "path": path,
                    "locations": _location(f),
                    "message": f"Selections can't be made on scalars ({f.name})",
                }
            )
        return value
