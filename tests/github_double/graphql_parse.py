"""A small GraphQL document parser: operations, variables, fields with aliases and arguments, inline
fragments, fragment spreads and named fragments (directives are parsed and ignored)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

TOKEN = re.compile(
    r"""
    (?P<skip>[\s,\ufeff]+|\#[^\n]*)
  | (?P<block>\"\"\"(?:\\\"\"\"|[^"]|"(?!""))*\"\"\")
  | (?P<string>"(?:\\.|[^"\\\n])*")
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
  | (?P<spread>\.\.\.)
  | (?P<punct>[!$&()\[\]{}:=@|])
    """,
    re.X,
)


class GraphQLSyntaxError(Exception):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Var:
    name: str


@dataclass(frozen=True)
class Enum:
    name: str


@dataclass
class Field:
    name: str
    alias: str | None
    args: dict[str, Any]
    selections: list[Any]
    line: int
    column: int

    @property
    def key(self) -> str:
        return self.alias or self.name


@dataclass
class InlineFragment:
    type_condition: str | None
    selections: list[Any]


@dataclass
class FragmentSpread:
    name: str


@dataclass
class Operation:
    kind: str  # "query" | "mutation"
    name: str | None
    defaults: dict[str, Any]  # variable -> default value (absent when none)
    selections: list[Any]


@dataclass
class Document:
    operations: list[Operation] = field(default_factory=list)
    fragments: dict[str, InlineFragment] = field(default_factory=dict)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    pos: int


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.toks: list[_Tok] = []
        pos = 0
        while pos < len(source):
            m = TOKEN.match(source, pos)
            if m is None:
                raise self._error(f"Unexpected character {source[pos]!r}", pos)
            kind = m.lastgroup or ""
            if kind != "skip":
                self.toks.append(_Tok(kind, m.group(), pos))
            pos = m.end()
        self.i = 0

    def _where(self, pos: int) -> tuple[int, int]:
        line = self.source.count("\n", 0, pos) + 1
        return line, pos - (self.source.rfind("\n", 0, pos) + 1) + 1

    def _error(self, message: str, pos: int | None = None) -> GraphQLSyntaxError:
        if pos is None:
            pos = self.toks[self.i].pos if self.i < len(self.toks) else len(self.source)
        return GraphQLSyntaxError(f"Parse error: {message}", *self._where(pos))

    def peek(self, text: str | None = None, kind: str | None = None) -> bool:
        if self.i >= len(self.toks):
            return False
        tok = self.toks[self.i]
        return (text is None or tok.text == text) and (kind is None or tok.kind == kind)

    def take(self, text: str | None = None, kind: str | None = None) -> _Tok:
        if not self.peek(text, kind):
            found = self.toks[self.i].text if self.i < len(self.toks) else "end of document"
            raise self._error(f"expected {text or kind}, found {found!r}")
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def document(self) -> Document:
        doc = Document()
        while self.i < len(self.toks):
            if self.peek("{"):
                doc.operations.append(Operation("query", None, {}, self.selection_set()))
            elif self.peek("query") or self.peek("mutation"):
                doc.operations.append(self.operation())
            elif self.peek("fragment"):
                self.take()
                name = self.take(kind="name").text
                self.take("on")
                doc.fragments[name] = InlineFragment(self.take(kind="name").text, self.selection_set())
            else:
                raise self._error("expected an operation or a fragment")
        return doc

    def operation(self) -> Operation:
        kind = self.take().text
        name = self.take(kind="name").text if self.peek(kind="name") else None
        defaults: dict[str, Any] = {}
        if self.peek("("):
            self.take("(")
            while not self.peek(")"):
                self.take("$")
                var = self.take(kind="name").text
                self.take(":")
                self.type_ref()
                if self.peek("="):
                    self.take("=")
                    defaults[var] = self.value(const=True)
                self.directives()
            self.take(")")
        self.directives()
        return Operation(kind, name, defaults, self.selection_set())

    def type_ref(self) -> None:
        if self.peek("["):
            self.take("[")
            self.type_ref()
            self.take("]")
        else:
            self.take(kind="name")
        if self.peek("!"):
            self.take("!")

    def directives(self) -> None:
        while self.peek("@"):
            self.take("@")
            self.take(kind="name")
            if self.peek("("):
                self.arguments()

    def selection_set(self) -> list[Any]:
        self.take("{")
        out: list[Any] = []
        while not self.peek("}"):
            if self.peek(kind="spread"):
                self.take()
                if self.peek("on"):
                    self.take()
                    cond = self.take(kind="name").text
                    self.directives()
                    out.append(InlineFragment(cond, self.selection_set()))
                elif self.peek("{") or self.peek("@"):
                    self.directives()
                    out.append(InlineFragment(None, self.selection_set()))
                else:
                    out.append(FragmentSpread(self.take(kind="name").text))
                    self.directives()
            else:
                out.append(self.field())
        self.take("}")
        return out

    def field(self) -> Field:
        tok = self.take(kind="name")
        alias, name = None, tok.text
        if self.peek(":"):
            self.take(":")
            alias, name = name, self.take(kind="name").text
        args = self.arguments() if self.peek("(") else {}
        self.directives()
        selections = self.selection_set() if self.peek("{") else []
        line, column = self._where(tok.pos)
        return Field(name, alias, args, selections, line, column)

    def arguments(self) -> dict[str, Any]:
        self.take("(")
        args: dict[str, Any] = {}
        while not self.peek(")"):
            key = self.take(kind="name").text
            self.take(":")
            args[key] = self.value()
        self.take(")")
        return args

    def value(self, const: bool = False) -> Any:
        if self.peek("$") and not const:
            self.take("$")
            return Var(self.take(kind="name").text)
        if self.peek("["):
            self.take("[")
            items = []
            while not self.peek("]"):
                items.append(self.value(const))
            self.take("]")
            return items
        if self.peek("{"):
            self.take("{")
            obj = {}
            while not self.peek("}"):
                key = self.take(kind="name").text
                self.take(":")
                obj[key] = self.value(const)
            self.take("}")
            return obj
        tok = self.take()
        if tok.kind == "string":
            return json.loads(tok.text)
        if tok.kind == "block":
            return tok.text[3:-3].replace('\\"""', '"""')
        if tok.kind == "number":
            return float(tok.text) if any(c in tok.text for c in ".eE") else int(tok.text)
        if tok.kind == "name":
            return {"true": True, "false": False, "null": None}.get(tok.text, Enum(tok.text))
        raise self._error(f"unexpected {tok.text!r}", tok.pos)


def parse(source: str) -> Document:
    return _Parser(source).document()


def resolve_value(value: Any, variables: dict[str, Any]) -> Any:
    """An argument value with its variables substituted (enums become their names)."""
    if isinstance(value, Var):
        return variables.get(value.name)
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, list):
        return [resolve_value(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: resolve_value(v, variables) for k, v in value.items()}
    return value
