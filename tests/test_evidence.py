"""The checklist held against the repository: globs, text patterns, the read bound, real reports from the
shared corpus (file lists from corpus/manifest.json plus made-up files), the CLI, and end to end through the
GitHub double (blob reads counted, cached by SHA)."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import REPORTS
from e2e_harness import BotServer, push_payload, seed
from github_double import GitHubDouble
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.report import evidence, feedback
from bot.report.check import Verdict, check
from bot.report.globs import GlobError, compile_glob
from bot.report.parse import parse
from bot.report.rules import BUILTIN, RuleSetError, builtin, from_yaml, resolve

# --------------------------------------------------------------------------- globs


@pytest.mark.parametrize(
    ("pattern", "yes", "no"),
    [
        ("**/Dockerfile", ["Dockerfile", "docker/Dockerfile", "a/b/c/Dockerfile"], ["Dockerfile.txt", "xDockerfile", "a/Dockerfilex"]),
        ("**/*.dockerfile", ["train.dockerfile", "dockerfiles/api.dockerfile"], ["dockerfiles/api.dockerfile.bak", "dockerfile"]),
        ("*.dvc", ["data.dvc"], ["data/raw.dvc", "data.dvc.bak"]),
        ("**/*.dvc", ["data.dvc", "data/raw.dvc", "a/b/c.dvc"], ["a/b.dvcx"]),
        (".dvc/", [".dvc/config", ".dvc/a/b"], [".dvc", "x/.dvc/config", ".dvcx/config"]),
        ("**/frontend/", ["frontend/app.py", "src/frontend/x/y.js"], ["frontend", "src/frontend.py"]),
        (".github/workflows/*.y*ml", [".github/workflows/ci.yaml", ".github/workflows/ci.yml"], [".github/workflows/sub/ci.yaml", ".github/ci.yaml", ".github/workflows/ci.yaml.txt"]),
        ("tests/**/test_*.py", ["tests/test_data.py", "tests/unit/deep/test_model.py"], ["src/tests/test_data.py", "tests/data_test.py", "tests/test_.pyc"]),
        ("**/tests/**/test_*.py", ["tests/test_a.py", "src/tests/x/test_a.py"], ["tests/a.py"]),
        ("requirements*.txt", ["requirements.txt", "requirements_dev.txt"], ["src/requirements.txt"]),
        ("src/?/a.py", ["src/x/a.py"], ["src/xy/a.py", "src//a.py"]),
        ("a/**/**/b", ["a/b", "a/x/b", "a/x/y/z/b"], ["a/x/c", "b"]),
    ],
)  # fmt: skip
def test_glob_matches(pattern: str, yes: list[str], no: list[str]) -> None:
    g = compile_glob(pattern)
    assert [p for p in yes if not g.match(p)] == []
    assert [p for p in no if g.match(p)] == []


def _reference(pattern: str) -> re.Pattern[str]:
    """The same glob as a regular expression (backtracking: only for the short inputs below); a folder
    `X/` is `X/**/*`, a file below it."""
    if pattern.endswith("/"):
        pattern += "**/*"
    out = ""
    for seg in pattern.split("/"):
        if seg == "**":
            out += "(?:[^/]+/)*"
        else:
            out += "".join("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c) for c in seg) + "/"
    return re.compile(out.removesuffix("/"))


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(["**", "*", "a*", "*b", "a", "b", "?", "a*b", "*a*", "?b", "a?*", "*?"]),
        min_size=1,
        max_size=5,
    ),
    st.booleans(),
    st.lists(st.sampled_from(["a", "b", "ab", "ba", "aab", "x"]), min_size=1, max_size=6),
)
def test_glob_agrees_with_a_reference(segments: list[str], folder: bool, parts: list[str]) -> None:
    pattern = "/".join(segments) + ("/" if folder else "")
    try:
        g = compile_glob(pattern)
    except GlobError:
        return  # `x/**` without the folder slash
    path = "/".join(parts)
    assert g.match(path) is bool(_reference(pattern).fullmatch(path)), (pattern, path)


@pytest.mark.parametrize("bad", ["", "/abs/path", "a**b/c", "src/**", "a//b", "x" * 201, "a\\b", "/"])
def test_invalid_globs_are_refused(bad: str) -> None:
    with pytest.raises(GlobError):
        compile_glob(bad)


def test_hostile_paths_match_in_linear_time() -> None:
    """Both the paths (students) and the globs (a rule set may be a student's YAML) are hostile: a
    backtracking matcher takes quadratic or exponential time on these; ours stays linear."""
    cases = [
        ("*a*a*a*a*a*a*a*a*b*c", "a" * 200_000 + "c", False),  # one long segment against many stars
        (
            "**/*a*a*a*a*b*c/**/x",
            "/".join(["a" * 10 + "c"] * 20_000) + "/x",
            False,
        ),  # many `**`, many segments
        ("**/**/**/**/*.py", "/".join(["a"] * 50_000) + ".py", True),
        ("**/a*/**/b*/**/c*.pyc", "/".join(["ab"] * 50_000) + ".pyc", False),
        ("src/**/x/", "src/" + "/".join(["x"] * 50_000), True),
    ]
    start = time.perf_counter()
    for pattern, path, expected in cases:
        assert compile_glob(pattern).match(path) is expected
    assert time.perf_counter() - start < 5.0  # a backtracking matcher takes hours on these


def test_a_student_rule_set_with_bad_evidence_is_refused_with_the_key() -> None:
    base = "name: x\nquestions:\n- number: 1\n  topic: T\nchecklist:\n"
    with pytest.raises(RuleSetError, match=r"checklist\[0\]\.evidence\[0\]\.files: 'a\*\*b'"):
        from_yaml(base + "- item: Do it\n  evidence:\n  - files: ['a**b']\n", "r.yml")
    with pytest.raises(RuleSetError, match=r"checklist\[0\]\.evidence\[0\]\.text"):
        from_yaml(
            base + f"- item: Do it\n  evidence:\n  - files: ['*.py']\n    text: ['{'x' * 300}']\n", "r.yml"
        )
    with pytest.raises(RuleSetError, match=r"checklist\[0\]: expected only item, evidence, absent, fix"):
        from_yaml(base + "- item: Do it\n  files: ['*.py']\n", "r.yml")
    ok = from_yaml(base + "- item: Do it\n  evidence:\n    files: '**/x'\n    text: hello\n", "r.yml")
    assert ok.checklist[0].evidence[0].text == ("hello",) and ok.checklist[0].evidence[0].files[0].match(
        "a/x"
    )


# --------------------------------------------------------------------------- the rule sets


TEMPLATES = {
    "dtu-mlops-2024": ["template-2023-01-06.md", "template-2023-09-27.md"],
    "dtu-mlops-2025": ["template-2025-01-24.md"],
    "dtu-mlops-2026": ["template-2026-01-09.md"],
}


@pytest.mark.parametrize("name", BUILTIN)
def test_every_template_item_has_exactly_one_entry(name: str, shared: Path) -> None:
    """Every checklist item of the year's templates is in the rule set (with evidence or "not checkable"),
    and no entry is a prefix of another's item (the first would shadow the second)."""
    rules = builtin(name)
    for template in TEMPLATES[name]:
        report = parse((REPORTS / "templates" / template).read_text("utf-8"))
        assert report.checklist
        missing = [i.text for i in report.checklist if evidence.rule_for(rules, i.text) is None]
        assert missing == []
        hit = [evidence.rule_for(rules, i.text) for i in report.checklist]
        assert len({id(r) for r in hit}) == len(hit)  # one entry per item
    checkable = [r for r in rules.checklist if r.evidence]
    assert len(checkable) >= 25 and all(r.absent and r.fix for r in checkable)


def _rule(name: str, start: str) -> Any:
    rule = evidence.rule_for(builtin(name), start)
    assert rule is not None
    return rule


def test_the_brief_examples_are_in_the_dtu_rule_sets() -> None:
    for name in ("dtu-mlops-2025", "dtu-mlops-2026"):
        docker = _rule(name, "Construct one or multiple docker files for your code (M10)")
        assert {g.pattern for g in docker.evidence[0].files} >= {"**/Dockerfile", "**/*.dockerfile"}
        ci = _rule(name, "Get some continuous integration running on the GitHub repository (M17)")
        assert [g.pattern for g in ci.evidence[0].files] == [".github/workflows/*.y*ml"]
        dvc = _rule(name, "Setup version control for your data or part of your data (M8)")
        assert {".dvc/", "**/*.dvc"} <= {g.pattern for g in dvc.evidence[0].files}
        wandb = _rule(name, "Use Weights & Biases to log training progress and other important metrics")
        assert "import wandb" in wandb.evidence[0].text and wandb.evidence[0].files[0].pattern == "**/*.py"
        assert not _rule(name, "Create a git repository (M5)").evidence  # not checkable


# --------------------------------------------------------------------------- pure checks


CHECKLIST = """# Exam template for 02476 Machine Learning Operations

## Overall project checklist

### Week 1

* [x] Construct one or multiple docker files for your code (M10)
* [x] Use Weights & Biases to log training progress and other important metrics/artifacts in your code (M14)
* [x] Create a git repository (M5)
* [ ] Add pre-commit hooks to your version control setup (M18)
* [x] Setup version control for your data or part of your data (M8)

## Group information

### Question 1
> **Enter the group number you signed up on <learn.inside.dtu.dk>**
>
> Answer:

--- question 1 fill here ---
"""
RULES = builtin("dtu-mlops-2026")


def _verdict(
    files: list[str], contents: dict[str, str | None] | None, text: str = CHECKLIST, **kw: Any
) -> Verdict:
    return check(text, RULES, files, handin=False, contents=contents, **kw)


def _status(v: Verdict) -> dict[str, tuple[str, tuple[str, ...], str]]:
    return {" ".join(e.item.split()[:3]): (e.status, e.files, e.reason) for e in v.evidence}


def test_files_and_text_back_ticked_items_and_say_what_is_missing() -> None:
    files = ["docker/api.dockerfile", "src/p/train.py", "src/p/data.py", "data.dvc", "README.md"]
    v = _verdict(files, {"src/p/train.py": "import torch\nimport wandb\n", "src/p/data.py": "x = 1\n"})
    s = _status(v)
    assert s["Construct one or"] == ("evidenced", ("docker/api.dockerfile",), "")
    assert s["Use Weights &"] == ("evidenced", ("src/p/train.py",), "")
    assert s["Setup version control"] == ("evidenced", ("data.dvc",), "")
    assert s["Create a git"][0] == "not_checkable"
    assert "Add pre-commit hooks" not in s  # not ticked: not held against anything
    assert evidence.counts(v) == evidence.EvidenceCounts(
        ticked=4, evidenced=3, not_evidenced=0, not_checkable=1
    )
    assert not [d for d in v.diagnostics if d.code in ("RB081", "RB082")]

    bare = _verdict(["README.md", "src/p/train.py"], {"src/p/train.py": "import torch  # wandb later\n"})
    assert evidence.counts(bare) == evidence.EvidenceCounts(4, 0, 3, 1)
    infos = {d.line: d for d in bare.diagnostics if d.code == "RB081"}
    assert set(infos) == {7, 8, 11} and all(d.severity == "info" for d in infos.values())
    docker = infos[7]
    assert docker.message.endswith("is ticked, but no Dockerfile is in the repository")
    assert "`**/Dockerfile`" in docker.hint and "untick the box on line 7" in docker.hint
    assert "contains `import wandb`" in infos[8].hint and "`**/*.py`" in infos[8].hint
    unheld = _verdict(["README.md", "src/p/train.py"], None)
    assert feedback.headline(bare) == feedback.headline(unheld)  # infos never count in the headline


def test_the_read_bound_never_gives_a_wrong_verdict() -> None:
    files = [f"src/pkg/mod{k:02}.py" for k in range(30)] + ["deep/er/still/train.py", "Dockerfile"]
    wanted = evidence.to_read(parse(CHECKLIST), RULES, files, 5)
    assert len(wanted) == 5 and wanted == [
        f"src/pkg/mod{k:02}.py" for k in range(5)
    ]  # nearest the root first
    plain = dict.fromkeys(wanted, "print('hello')\n")
    over = _verdict(files, plain, max_files=5)
    assert _status(over)["Use Weights &"] == ("not_checked", (), evidence.TOO_MANY)
    assert evidence.counts(over) == evidence.EvidenceCounts(4, 1, 1, 2)  # unknown is not "missing" (DVC is)
    (info,) = [d for d in over.diagnostics if d.code == "RB082"]
    assert "(too many files)" in info.message and "at most 5 files" in info.hint
    # found within the bound: evidenced, however many files were left unread
    found = _verdict(files, {**plain, "src/pkg/mod03.py": "from wandb import init\n"}, max_files=5)
    assert _status(found)["Use Weights &"] == ("evidenced", ("src/pkg/mod03.py",), "")
    # every candidate read, none holds it: not evidenced
    few = files[:3]
    assert evidence.to_read(parse(CHECKLIST), RULES, few, 5) == few
    none = _verdict(few, dict.fromkeys(few, "import torch\n"))
    assert _status(none)["Use Weights &"][0] == "not_evidenced"
    # a file skipped (binary or too large) is not taken as "no import"
    skipped = _verdict(few, {**dict.fromkeys(few[:2], "import torch\n"), few[2]: None})
    assert _status(skipped)["Use Weights &"] == ("not_checked", (), evidence.SKIPPED)
    # an item a file alone backs needs no read; no ticked text item: nothing to read
    assert (
        evidence.to_read(parse(CHECKLIST.replace("[x] Use Weights", "[ ] Use Weights")), RULES, files, 5)
        == []
    )


def test_unknown_file_list_and_unread_contents() -> None:
    v = check(CHECKLIST, RULES, None, handin=False, contents={})
    assert {e.status for e in v.evidence} == {"not_checked", "not_checkable"}
    (info,) = [d for d in v.diagnostics if d.code == "RB082"]
    assert "GitHub listed only part" in info.hint
    quiet = check(CHECKLIST, RULES, ["Dockerfile"], handin=False)  # no contents: not held at all
    assert quiet.evidence == () and evidence.counts(quiet) == evidence.EvidenceCounts(4, 0, 0, 4)


def test_named_files_are_bounded_and_escaped_in_the_comment() -> None:
    files = [f"svc{k}/Dockerfile" for k in range(9)] + ["@octocat`x/Dockerfile"]
    v = _verdict(files, {})
    (docker,) = [e for e in v.evidence if e.item.startswith("Construct")]
    assert len(docker.files) == evidence.MAX_NAMED and docker.more == 5
    body = feedback.render(v)
    assert "Checklist against the repository: 1 of 4 ticked items backed by files" in body
    assert "`svc0/Dockerfile`" in body and "and 5 more" in body
    hostile = feedback.render(_verdict(["@octocat`x|y/Dockerfile"], {}))
    (row,) = [x for x in hostile.splitlines() if x.startswith("| 7 |")]
    assert "``@octocat`x\\|y/Dockerfile``" in row  # a code span: no ping; the pipe escaped: no new cell
    assert row.replace("\\|", "").count("|") == 4


# --------------------------------------------------------------------------- real reports from the corpus


def _corpus(name: str, manifest: dict[str, dict[str, Any]], made_up: dict[str, str]) -> Verdict:
    """A corpus report checked against its repository's files: the manifest's (every image at that commit)
    plus made-up ones (path -> text)."""
    entry = manifest[name]
    raw = (REPORTS / "corpus" / name).read_text("utf-8")
    rules, reason = resolve("auto", raw)
    files = [*entry["figures"], entry["path"], *made_up]
    wanted = evidence.to_read(parse(raw), rules, files)
    return check(
        raw, rules, files, "reports", reason, handin=False, contents={p: made_up.get(p) for p in wanted}
    )


def _by_line(v: Verdict) -> dict[int, tuple[str, tuple[str, ...]]]:
    return {e.line: (e.status, e.files) for e in v.evidence}


XANDER = {
        "dockerfiles/api.dockerfile": "FROM python:3.12\n",
        "src/project/train.py": "import hydra\nimport wandb\nfrom loguru import logger\n",
        "src/project/api.py": "from fastapi import FastAPI\n",
        ".github/workflows/tests.yaml": "jobs:\n  test:\n    strategy:\n      matrix:\n        os: [ubuntu]\n    steps:\n      - run: ruff check .\n",
        "tests/test_data.py": "def test_x(): pass\n",
        "pyproject.toml": "[project]\nname = 'p'\n",
}  # fmt: skip


def test_corpus_2026_report_against_its_repository(manifest: dict[str, dict[str, Any]]) -> None:
    v = _corpus("XanderBaatz__dtu_mlops_project.md", manifest, XANDER)
    assert v.rules.name == "dtu-mlops-2026"
    lines = _by_line(v)
    assert lines[67] == ("evidenced", ("dockerfiles/api.dockerfile",))  # docker files
    assert lines[73] == ("evidenced", ("src/project/train.py",))  # Weights & Biases
    assert lines[70] == ("evidenced", ("src/project/train.py",))  # Hydra
    assert lines[91] == ("evidenced", ("src/project/api.py",))  # FastAPI
    assert lines[82] == ("evidenced", (".github/workflows/tests.yaml",))  # CI
    assert lines[84] == ("evidenced", (".github/workflows/tests.yaml",))  # linting step
    assert lines[65][0] == "not_evidenced"  # DVC: no .dvc/ in this made-up repository
    assert lines[85][0] == "not_evidenced"  # pre-commit hooks
    assert lines[75][0] == "not_evidenced"  # PyTorch Lightning: every .py file read, none imports it
    assert lines[55][0] == "not_checkable"  # "Create a git"
    assert 96 not in lines  # "Create a frontend" is not ticked
    n = evidence.counts(v)
    assert (n.ticked, n.ticked) == (48, n.evidenced + n.not_evidenced + n.not_checkable)
    dvc = next(d for d in v.diagnostics if d.code == "RB081" and d.line == 65)
    assert "no DVC files" in dvc.message and "`.dvc/`" in dvc.hint


def test_the_readme_examples_are_real(manifest: dict[str, dict[str, Any]]) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
    v = _corpus("XanderBaatz__dtu_mlops_project.md", manifest, XANDER)
    dvc = next(d for d in v.diagnostics if d.code == "RB081" and d.line == 65)
    assert f'"{dvc.message}", hint "{dvc.hint}" (corpus `XanderBaatz__dtu_mlops_project`' in readme
    torch_only = {f"src/project/mod{k:02}.py": "import torch\n" for k in range(30)}
    (over,) = [
        d
        for d in _corpus("XanderBaatz__dtu_mlops_project.md", manifest, torch_only).diagnostics
        if d.code == "RB082"
    ]
    shown = over.message.split(", `Use profiling")[0]
    assert (
        f'"{shown}, …", hint "{over.hint.split(" nearest")[0]} nearest the repository root first …"' in readme
    )
    assert "`REPORT_BOT_EVIDENCE_MAX_BLOBS` | `20` |" in readme and evidence.DEFAULT_MAX_FILES == 20


def test_corpus_2024_report_with_its_figures_only(manifest: dict[str, dict[str, Any]]) -> None:
    """The manifest's files alone (images and the report): no Dockerfile, no tests, no workflow."""
    name = "AlexanderVoldby__02476_enzyme_stability.md"
    v = _corpus(name, manifest, {"dvc.lock": "", "src/make_dataset.py": "print(1)\n"})
    assert v.rules.name == "dtu-mlops-2024"
    lines = _by_line(v)
    assert lines[63][0] == "not_evidenced"  # docker files
    assert lines[78][0] == "not_evidenced"  # CI on the github repository
    assert lines[75][0] == "not_evidenced"  # unit tests (data)
    assert lines[62] == ("evidenced", ("dvc.lock",))  # data version control
    assert lines[57] == ("evidenced", ("src/make_dataset.py",))  # the 2023 template's `make_dataset.py`
    assert lines[69][0] == "not_evidenced"  # Weights & Biases: the one .py file does not import it
    assert 83 not in lines  # torchserve is not ticked


def test_corpus_2025_report_with_comments_after_items(manifest: dict[str, dict[str, Any]]) -> None:
    """Items with `<!--- Name -->` after them still find their rule; a duplicated item is held twice."""
    name = "ChrisVN123__02476_mlops_exam.md"
    v = _corpus(name, manifest, {".pre-commit-config.yaml": "repos: []\n", "tests/test_data.py": ""})
    lines = _by_line(v)
    assert lines[82] == ("evidenced", (".pre-commit-config.yaml",))
    assert lines[75] == ("evidenced", ("tests/test_data.py",))  # "... (M16) <!--- Christian -->"
    assert 81 not in lines  # the unticked copy of the pre-commit item


def test_every_corpus_report_is_held_without_error(manifest: dict[str, dict[str, Any]]) -> None:
    for name in manifest:
        v = _corpus(name, manifest, {})
        n = evidence.counts(v)
        assert n.ticked == n.evidenced + n.not_evidenced + n.not_checkable == v.checklist.ticked
        # images alone back nothing but documentation (a `docs/` folder): a screenshot is no evidence
        backed = {e.item.split(" (")[0] for e in v.evidence if e.status == "evidenced"}
        assert backed <= {"Write some documentation for your application"}, name
    v = _corpus("Apros7__ml_ops_project.md", manifest, {})
    docs = next(e for e in v.evidence if e.item.startswith("Write some documentation"))
    assert (docs.status, docs.files) == ("evidenced", ("docs/source/images/mlops_architecture.png",))


# --------------------------------------------------------------------------- the command line


def test_report_bot_check_reads_the_committed_files(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "README.md").write_text(CHECKLIST, "utf-8")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text("import wandb\n", "utf-8")
    (tmp_path / "Dockerfile").write_text("FROM x\n", "utf-8")  # on disk, not committed: does not count
    subprocess.run(["git", "-C", str(tmp_path), "add", "reports", "src"], check=True)
    out = subprocess.run(
        [".venv/bin/python", "-m", "bot.cli", "check", str(tmp_path / "reports" / "README.md"), "--format", "json"],
        capture_output=True, text=True, cwd=Path(__file__).parent.parent, check=False,
    )  # fmt: skip
    data = json.loads(out.stdout)
    held = {e["item"][:20]: (e["status"], e["files"]) for e in data["checklist"]["evidence"]}
    assert held["Use Weights & Biases"] == ("evidenced", ["src/train.py"])
    assert held["Construct one or mul"] == ("not_evidenced", [])
    assert any(d["code"] == "RB081" and d["line"] == 7 for d in data["diagnostics"])
    text = subprocess.run(
        [".venv/bin/python", "-m", "bot.cli", "check", str(tmp_path / "reports" / "README.md")],
        capture_output=True, text=True, cwd=Path(__file__).parent.parent, check=False,
    ).stdout  # fmt: skip
    assert (
        "checklist against the repository: 1 of 4 ticked items backed by files, 2 with no evidence found, 1 not checkable"
        in text
    )


# --------------------------------------------------------------------------- end to end


ORG = "course-org"


@pytest.fixture
def bot(github_double: GitHubDouble, app_key: Any, tmp_path: Path, graphql_schema: Any) -> Any:
    with BotServer(github_double, app_key.private_pem, tmp_path) as server:
        yield server


def _push(d: GitHubDouble, bot: BotServer, repo: str, files: dict[str, bytes | str | None]) -> str:
    before, after = d.push(ORG, repo, "main", files)
    assert bot.send("push", push_payload(d, ORG, repo, before, after, list(files))).status_code == 202
    bot.idle()
    return after


def _blob_reads(d: GitHubDouble, repo: str, since: float) -> int:
    return d.count("GET", f"/repos/{ORG}/{repo}/git/blobs", since=since)


def test_e2e_wandb_evidenced_cached_and_missing(github_double: GitHubDouble, bot: BotServer) -> None:
    d = github_double
    report = seed("000_8087f8353d4a158a.md")
    assert re.search(r"^\* \[x\] Use Weights & Biases", report, re.M)

    d.add_repo(ORG, "with-wandb", {"README.md": "# project\n"})
    mark = d.mark()
    _push(d, bot, "with-wandb", {"reports/README.md": report, "src/train.py": "import wandb\nwandb.init()\n"})
    body = d.issues(ORG, "with-wandb")[0].body.replace("\u200b", "")
    row = next(x for x in body.splitlines() if "Use Weights &amp; Biases" in x or "Use Weights & Biases" in x)
    assert "backed by `src/train.py`" in row
    assert "no Python file imports `wandb`" not in body
    assert _blob_reads(d, "with-wandb", mark) == 1  # the one Python file, once

    mark = d.mark()  # a new commit, the same `src/train.py` blob: read from the cache
    _push(d, bot, "with-wandb", {"reports/README.md": report + "\nMore.\n"})
    assert _blob_reads(d, "with-wandb", mark) == 0
    assert "backed by `src/train.py`" in d.issues(ORG, "with-wandb")[0].body.replace("\u200b", "")

    d.add_repo(ORG, "without-wandb", {"README.md": "# project\n"})
    _push(d, bot, "without-wandb", {"reports/README.md": report, "src/train.py": "import torch\n"})
    body = d.issues(ORG, "without-wandb")[0].body
    line = next(x for x in body.splitlines() if "no Python file imports `wandb`" in x)
    assert line.startswith("- ℹ️") and "RB081 checklist-not-evidenced" in line
    assert "contains `import wandb`" in body  # the hint: which file would count
