"""Read a rule set out of a course's `report.py` with `ast`, without ever running it (it is repository content).

Understands both published shapes of the constraint table: the 2025+ dict literal of
`NoConstraints()/LengthConstraints(...)/ImageConstraints(...)/MultiConstraints(constrains=[...])`, and the
2023/2024 list of `no_constraints` / `partial(length_constraints, ...)` / `partial(image_constrains, ...)`
/ `partial(multi_constrains, constrains=(...))`. Also reads the script's quirks: `text = text[43:]` in
`check`, `per_question.pop(0)` vs `answers = answers[1:]`, and the error message.

Returns plain data (`ScriptRules`); `bot.report.rules.from_report_py` turns it into a RuleSet.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Literal

Bounds = tuple[int, int]
"""(min, max), both inclusive."""
Constraint = tuple[Bounds | None, Bounds | None]
"""(words, images) of one question; None where the script sets no constraint."""


class ReportPyError(ValueError):
    """The script's constraint table cannot be read; the message names the source and what was expected."""


@dataclass(frozen=True)
class ScriptRules:
    """What a course's `report.py check` applies: one constraint per question, and its quirks."""

    table: tuple[Constraint, ...]
    skip_chars: int
    drop_preamble: Literal["pop", "slice"]
    error: str


_NONE = {"NoConstraints", "no_constraints"}
_LENGTH = {"LengthConstraints", "length_constraints"}
_IMAGES = {"ImageConstraints", "image_constrains", "image_constraints"}
_MULTI = {"MultiConstraints", "multi_constrains", "multi_constraints"}


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _int(node: ast.AST, where: str) -> int:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    raise ReportPyError(f"{where}: expected a whole number literal, got {ast.unparse(node)!r}")


def _constraint(node: ast.AST, where: str) -> Constraint:
    """One table entry -> (words, images)."""
    if _name(node) in _NONE:
        return None, None
    if not isinstance(node, ast.Call):
        raise ReportPyError(f"{where}: expected a constraint call, got {ast.unparse(node)!r}")
    fn = _name(node.func)
    args = list(node.args)
    if fn == "partial" and args:
        fn = _name(args.pop(0))
    kw = {k.arg: k.value for k in node.keywords if k.arg}
    if fn in _NONE:
        return None, None
    if fn in _MULTI:
        inner = kw.get("constrains") or kw.get("constraints") or (args[0] if args else None)
        if not isinstance(inner, ast.List | ast.Tuple):
            raise ReportPyError(f"{where}: expected constrains=[...] in {fn}")
        words = images = None
        for k, sub in enumerate(inner.elts):
            w, i = _constraint(sub, f"{where}[{k}]")
            words, images = w or words, i or images
        return words, images
    if fn in _LENGTH or fn in _IMAGES:
        lo_key, hi_key = (
            ("min_images", "max_images")
            if fn in _IMAGES and "min_images" in kw
            else ("min_length", "max_length")
        )
        if lo_key not in kw or hi_key not in kw:
            raise ReportPyError(f"{where}: expected {lo_key}= and {hi_key}= in {fn}(...)")
        r = (_int(kw[lo_key], f"{where}.{lo_key}"), _int(kw[hi_key], f"{where}.{hi_key}"))
        return (r, None) if fn in _LENGTH else (None, r)
    raise ReportPyError(f"{where}: unknown constraint {fn or ast.unparse(node)!r}")


def _table(fn: ast.FunctionDef, source: str) -> list[Constraint]:
    for node in ast.walk(fn):
        value = node.value if isinstance(node, ast.Assign) else None
        if (
            isinstance(value, ast.Dict)
            and value.keys
            and all(isinstance(k, ast.Constant) and str(k.value).startswith("question_") for k in value.keys)
        ):
            keys = [str(k.value) for k in value.keys if isinstance(k, ast.Constant)]
            return [_constraint(v, f"{source}: {k}") for k, v in zip(keys, value.values, strict=True)]
        if (
            isinstance(value, ast.List)
            and value.elts
            and all(
                _name(e) in _NONE
                or (isinstance(e, ast.Call) and _name(e.func) in ({"partial"} | _LENGTH | _IMAGES | _MULTI))
                for e in value.elts
            )
        ):
            return [_constraint(e, f"{source}: question {i}") for i, e in enumerate(value.elts, 1)]
    raise ReportPyError(
        f"{source}: check(): expected a constraint table (a dict of question_N or a list of constraints)"
    )


def _quirks(fn: ast.FunctionDef, n: int) -> tuple[int, Literal["pop", "slice"], str]:
    skip, error = 0, ""
    drop: Literal["pop", "slice"] = "pop"
    for node in ast.walk(fn):
        # text = text[43:]
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Subscript)
            and isinstance(node.value.slice, ast.Slice)
            and node.value.slice.upper is None
            and isinstance(node.value.slice.lower, ast.Constant)
            and isinstance(node.value.slice.lower.value, int)
        ):
            target = _name(node.targets[0])
            if target == "text":
                skip = node.value.slice.lower.value
            elif target == "answers":
                drop = "slice"
        if (
            isinstance(node, ast.Assign)
            and _name(node.targets[0]) == "msg"
            and isinstance(node.value, ast.Constant)
        ):
            error = str(node.value.value)
    return skip, drop, error or f"Number of answers are different from the expected {n}."


def read_report_py(text: str, source: str = "report.py") -> ScriptRules:
    """The constraint table and quirks of a course's `report.py check`. Raises ReportPyError."""
    try:
        tree = ast.parse(text, filename=source)
    except SyntaxError as exc:
        raise ReportPyError(f"{source}: line {exc.lineno}: not valid Python ({exc.msg})") from None
    check = next((n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "check"), None)
    if check is None:
        raise ReportPyError(f"{source}: expected a function check()")
    table = _table(check, source)
    skip, drop, error = _quirks(check, len(table))
    return ScriptRules(tuple(table), skip, drop, error)
