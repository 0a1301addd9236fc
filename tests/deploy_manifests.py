"""The Dockerfile and deploy/'s manifests, read for tests/test_deploy.py: the CLI's parser as bot/cli/main.py
builds it, every container of every manifest in one shape (image, command, environment, secrets, mounts,
ports, probes), and the Dockerfile's stages and instructions."""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

from bot.cli.main import main
from bot.settings import ENV_PREFIX, Settings

DEPLOY = ROOT / "deploy"
SETTINGS = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
NOT_SETTINGS = {"HOST", "PORT"}  # read by scripts/serve, not by the bot
IMAGE_ENV = {"PATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"}  # the runtime stage's, for Python itself
BUILD_ENV = {"VENV", "PIP_DISABLE_PIP_VERSION_CHECK", "PIP_NO_CACHE_DIR"}  # the builder stage's
POSTGRES_ENV = {"POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD"}  # the postgres image's own
EXPECTED_COMMANDS = {"serve", "worker", "migrate"}
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]


# -- the CLI, as bot/cli/main.py builds it -------------------------------------------------------------------
class _Built(Exception):
    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self.parser = parser


def _cli_parser() -> argparse.ArgumentParser:
    """The parser `main()` builds (caught at its `parse_args`, before anything runs)."""

    def capture(self: argparse.ArgumentParser, *_args: Any, **_kwargs: Any) -> Any:
        raise _Built(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(argparse.ArgumentParser, "parse_args", capture)
        with pytest.raises(_Built) as built:
            main(["--help"])
    return built.value.parser


PARSER = _cli_parser()
SUBCOMMANDS = {
    name
    for action in PARSER._actions
    if isinstance(action, argparse._SubParsersAction)
    for name in action.choices
}
SERVE_PORT = PARSER.parse_args(["serve"]).port


def parse_command(args: list[str], where: str) -> argparse.Namespace:
    """The CLI's reading of `args` (every command a manifest runs is a subcommand of bot/cli/main.py)."""
    assert args, f"{where}: no command"
    assert args[0] in EXPECTED_COMMANDS, f"{where}: {args[0]!r} is not one of {sorted(EXPECTED_COMMANDS)}"
    assert args[0] in SUBCOMMANDS, f"{where}: `report-bot {args[0]}` is not a command of the CLI"
    try:
        return PARSER.parse_args(args)
    except SystemExit:
        pytest.fail(f"{where}: `report-bot {shlex.join(args)}` does not parse")


def listen_port(args: list[str], where: str) -> int | None:
    ns = parse_command(args, where)
    if args[0] != "serve":
        return None
    assert ns.host == "0.0.0.0", f"{where}: serve must listen on every interface of the container"
    return int(ns.port)


# -- the manifests, as one list of containers ----------------------------------------------------------------
@dataclass
class Container:
    where: str
    image: str
    args: list[str]
    env: dict[str, str | None] = field(default_factory=dict)  # a secret's value is None
    secret_refs: list[tuple[str, str]] = field(default_factory=list)  # (secret, key)
    mounts: dict[str, str] = field(default_factory=dict)  # mount path -> volume (or secret) name
    ports: list[int] = field(default_factory=list)
    probes: dict[str, Any] = field(default_factory=dict)


def load_all(path: Path) -> list[dict[str, Any]]:
    docs = [d for d in yaml.safe_load_all(path.read_text("utf-8")) if d is not None]
    assert docs and all(isinstance(d, dict) for d in docs), path
    return docs


def env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text("utf-8").splitlines() if "=" in line)
    return {k.strip(): v for k, v in pairs if not k.lstrip().startswith("#")}


COMPOSE = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text("utf-8"))
ENV_EXAMPLE = env_file(DEPLOY / "env.example")
K8S = {p.name: load_all(p) for p in sorted((DEPLOY / "k8s").glob("*.yaml"))}
CLOUDRUN = {p.name: load_all(p) for p in sorted((DEPLOY / "cloudrun").glob("*.yaml"))}
K8S_DOCS = [d for docs in K8S.values() for d in docs]
CLOUDRUN_DOCS = [d for docs in CLOUDRUN.values() for d in docs]


def k8s_named(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in K8S_DOCS if d["kind"] == kind}


def pod_container(spec: dict[str, Any], where: str, config_maps: dict[str, dict[str, Any]]) -> Container:
    """A Kubernetes (or Cloud Run, which takes the same pod spec) container: its env from `env` and
    `envFrom` ConfigMaps, secret references, and mounts by volume."""
    (c,) = spec["containers"]
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    out = Container(f"{where}/{c['name']}", c["image"], list(c["args"]))
    for ref in c.get("envFrom", []):
        name = ref["configMapRef"]["name"]
        assert name in config_maps, f"{where}: ConfigMap {name} is not defined"
        out.env.update(config_maps[name]["data"])
    for var in c.get("env", []):
        secret = var.get("valueFrom", {}).get("secretKeyRef")
        out.env[var["name"]] = None if secret else str(var["value"])
        if secret:
            out.secret_refs.append((secret["name"], secret["key"]))
    for mount in c.get("volumeMounts", []):
        volume = volumes[mount["name"]]
        out.mounts[mount["mountPath"]] = (
            volume["secret"]["secretName"] if "secret" in volume else mount["name"]
        )
    out.ports = [p["containerPort"] for p in c.get("ports", [])]
    out.probes = {k: v for k, v in c.items() if k.endswith("Probe")}
    return out


def pod_specs(docs: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(where, pod spec) of each workload: a Kubernetes Deployment or Job, a Cloud Run Service or Job."""
    found = []
    for doc in docs:
        if doc["kind"] not in ("Deployment", "Job") and doc["apiVersion"] != "serving.knative.dev/v1":
            continue
        spec = doc["spec"]["template"]["spec"]
        if doc["apiVersion"] == "run.googleapis.com/v1":  # a Cloud Run job: its tasks' template
            spec = spec["template"]["spec"]
        platform = (
            "cloudrun" if doc["apiVersion"].endswith(("knative.dev/v1", "googleapis.com/v1")) else "k8s"
        )
        found.append((f"{platform} {doc['kind']} {doc['metadata']['name']}", spec))
    return found


def k8s_containers() -> list[Container]:
    return [pod_container(spec, where, k8s_named("ConfigMap")) for where, spec in pod_specs(K8S_DOCS)]


def cloudrun_containers() -> list[Container]:
    return [pod_container(spec, where, {}) for where, spec in pod_specs(CLOUDRUN_DOCS)]


def compose_containers() -> list[Container]:
    found = []
    for name, svc in COMPOSE["services"].items():
        if name == "postgres":
            continue
        env: dict[str, str | None] = {k: None for k in ENV_EXAMPLE} if svc.get("env_file") == ".env" else {}
        env.update(svc.get("environment", {}))
        mounts = {f"/run/secrets/{s}": s for s in svc.get("secrets", [])}
        mounts.update(dict(reversed(v.split(":")[:2]) for v in svc.get("volumes", [])))
        ports = [int(p.rsplit(":", 1)[1]) for p in svc.get("ports", [])]
        found.append(Container(f"compose {name}", svc["image"], list(svc["command"]), env, [], mounts, ports))
    return found


ALL = compose_containers() + k8s_containers() + cloudrun_containers()


# -- the Dockerfile ------------------------------------------------------------------------------------------
@dataclass
class Stage:
    name: str
    base: str
    steps: list[tuple[str, str]]  # (INSTRUCTION, its text)


def dockerfile() -> tuple[dict[str, str], list[Stage]]:
    """The ARGs before the first FROM, and the stages with their instructions (continuations joined)."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text("utf-8"))
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        word, _, rest = line.strip().partition(" ")
        word, rest = word.upper(), " ".join(rest.split())
        if word == "FROM":
            base, _, name = rest.partition(" AS ")
            stages.append(Stage(name.strip(), base.strip(), []))
        elif not stages and word == "ARG":
            key, _, value = rest.partition("=")
            args[key] = value
        else:
            assert stages, f"{word} before the first FROM"
            stages[-1].steps.append((word, rest))
    return args, stages


def env_of(stage: Stage) -> dict[str, str]:
    """ENV KEY=VALUE ... of a stage (values without spaces, as this Dockerfile writes them)."""
    pairs = (item.split("=", 1) for word, rest in stage.steps if word == "ENV" for item in shlex.split(rest))
    return dict(pairs)


DOCKER_ARGS, STAGES = dockerfile()
BUILDER, RUNTIME = STAGES


def runtime_json(word: str) -> Any:
    (text,) = [rest for w, rest in RUNTIME.steps if w == word]
    return text


def secret_keys_k8s() -> dict[str, set[str]]:
    return {name: set(d.get("stringData") or d.get("data")) for name, d in k8s_named("Secret").items()}


def cloudrun_secrets() -> set[str]:
    return set(re.findall(r"gcloud secrets create ([\w-]+)", (DEPLOY / "README.md").read_text("utf-8")))


def docker_copy(rest: str, workdir: Path) -> None:
    """`COPY SRC... DEST` from this checkout: DEST ending in `/` is a folder the sources go into."""
    *sources, dest = rest.split()
    for source in sources:
        target = workdir / dest / Path(source).name if dest.endswith("/") else workdir / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / source).is_dir():
            shutil.copytree(ROOT / source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / source, target)
