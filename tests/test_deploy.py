"""The Dockerfile and deploy/ (Docker Compose, Kubernetes, Cloud Run), checked without a container engine:
every manifest parses and has the fields its platform requires, they all run the one image with commands
and options the CLI accepts, name only real settings and only secrets that are defined, mount the private
key where REPORT_BOT_PRIVATE_KEY_PATH says and probe /healthz on the port `serve` listens on; and the
Dockerfile's builder steps, run in a fresh venv, give a `report-bot` that works."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT
from deploy_manifests import (
    ALL,
    BUILD_ENV,
    BUILDER,
    CLOUDRUN_DOCS,
    COMPOSE,
    DEPLOY,
    DOCKER_ARGS,
    ENV_EXAMPLE,
    EXPECTED_COMMANDS,
    IMAGE_ENV,
    K8S_DOCS,
    NOT_SETTINGS,
    POSTGRES_ENV,
    RUNTIME,
    SERVE_PORT,
    SETTINGS,
    STAGES,
    SUBCOMMANDS,
    VERSION,
    cloudrun_containers,
    cloudrun_secrets,
    compose_containers,
    docker_copy,
    env_of,
    k8s_containers,
    k8s_named,
    listen_port,
    parse_command,
    pod_specs,
    runtime_json,
    secret_keys_k8s,
)
from e2e_harness import free_port, wait_until
from reportgen import make_report

from bot.report.rules import builtin


# -- tests ---------------------------------------------------------------------------------------------------
def test_the_dockerfile_builds_in_a_builder_and_runs_slim_and_not_as_root() -> None:
    assert [s.name for s in STAGES] == ["builder", "runtime"]
    assert BUILDER.base == RUNTIME.base == "${PYTHON_IMAGE}"  # the venv's python is the same path in both
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", DOCKER_ARGS["PYTHON_IMAGE"])
    runs = [rest for word, rest in RUNTIME.steps if word == "RUN"]
    assert not any("pip" in r or "apt-get" in r for r in runs), "the runtime stage installs nothing"
    copies = [rest for word, rest in RUNTIME.steps if word == "COPY" and rest.startswith("--from=")]
    assert copies == [f"--from=builder {env_of(BUILDER)['VENV']} {env_of(BUILDER)['VENV']}"]
    user = runtime_json("USER")
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0, "a numeric non-root uid (Kubernetes' runAsNonRoot checks it)"
    assert any(f"--uid {uid}" in r and "useradd" in r for r in runs)
    for where, pod in pod_specs(K8S_DOCS):
        context = pod["securityContext"]
        assert context["runAsNonRoot"] is True and str(context["runAsUser"]) == uid, where


def test_one_image_serves_and_works_and_checks_its_own_health() -> None:
    assert json.loads(runtime_json("ENTRYPOINT")) == ["report-bot"]
    cmd = json.loads(runtime_json("CMD"))
    assert cmd[0] == "serve" and listen_port(cmd, "Dockerfile CMD") == SERVE_PORT
    assert runtime_json("EXPOSE") == str(SERVE_PORT)
    health = runtime_json("HEALTHCHECK")
    assert health.startswith("--interval=") and " CMD " in health
    probe = json.loads(health.split(" CMD ", 1)[1])
    assert probe[:2] == ["python", "-c"] and "urllib.request" in probe[2]  # no curl in a slim image
    assert f"http://127.0.0.1:{SERVE_PORT}/healthz" in probe[2]


def test_the_builder_installs_the_serve_lock_with_the_postgres_packages_then_the_project() -> None:
    lock = (ROOT / "requirements" / "serve.txt").read_text("utf-8")
    assert "--extra app --extra postgres" in lock.splitlines()[1]
    assert re.search(r"^psycopg-binary==", lock, re.M) and re.search(r"^procrastinate==", lock, re.M)
    runs = [rest for word, rest in BUILDER.steps if word == "RUN"]
    assert any("install -r requirements/serve.txt" in r for r in runs)
    assert any('install --no-deps ".[app,postgres]"' in r and 'pip" check' in r for r in runs)


def test_the_build_context_is_only_what_the_dockerfile_copies() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "an allowlist: a new file (a .env, a key) never enters the context by accident"
    allowed = {line[1:] for line in lines if line.startswith("!")}
    copied = set()
    for stage in STAGES:
        for word, rest in stage.steps:
            if word == "COPY" and not rest.startswith("--from="):
                copied.update(s.rstrip("/") for s in rest.split()[:-1])
    assert allowed == copied
    assert not any(a.startswith(".env") or a.endswith(".pem") for a in allowed)


def test_every_manifest_parses_and_has_its_platforms_fields() -> None:
    assert {"docker-compose.yml", "README.md", "env.example"} <= {p.name for p in DEPLOY.iterdir()}
    for doc in K8S_DOCS:
        assert {"apiVersion", "kind", "metadata"} <= doc.keys() and doc["metadata"]["name"]
        if doc["kind"] in ("Secret", "ConfigMap"):
            assert doc.get("stringData") or doc.get("data")
        else:
            assert "spec" in doc
    kinds = [d["kind"] for d in K8S_DOCS]
    assert sorted(kinds) == sorted(
        [
            "ConfigMap",
            "PersistentVolumeClaim",
            "Secret",
            "Secret",
            "Secret",
            "Job",
            "Deployment",
            "Service",
            "Deployment",
        ]
    )
    for doc in CLOUDRUN_DOCS:
        expected = {"Service": "serving.knative.dev/v1", "Job": "run.googleapis.com/v1"}[doc["kind"]]
        assert doc["apiVersion"] == expected and doc["metadata"]["name"] and "spec" in doc
    assert sorted(d["metadata"]["name"] for d in CLOUDRUN_DOCS) == [
        "report-bot-migrate", "report-bot-web", "report-bot-worker"
    ]  # fmt: skip


def test_every_container_runs_the_one_image_of_this_version() -> None:
    images = {c.image for c in ALL}
    assert len(images) == 1, images
    (image,) = images
    assert image.endswith(f"/report-bot:{VERSION}")
    assert COMPOSE["x-bot"]["build"]["context"] == ".." and (DEPLOY / ".." / "Dockerfile").is_file()
    assert image in (DEPLOY / "README.md").read_text("utf-8")


def test_every_command_is_one_the_cli_has_and_its_options_parse() -> None:
    assert {"serve", "migrate"} <= SUBCOMMANDS
    for c in ALL:
        parse_command(c.args, c.where)
    roles = {c.args[0] for c in ALL}
    assert roles == EXPECTED_COMMANDS
    for group in (compose_containers(), k8s_containers(), cloudrun_containers()):
        assert {c.args[0] for c in group} == EXPECTED_COMMANDS, "web, worker and migrate everywhere"


def test_every_environment_variable_is_a_real_setting() -> None:
    for c in ALL:
        unknown = (
            set(c.env) - SETTINGS - NOT_SETTINGS - (POSTGRES_ENV if c.where.startswith("compose") else set())
        )
        assert not unknown, f"{c.where}: not settings of bot/settings.py: {sorted(unknown)}"
    assert set(ENV_EXAMPLE) - SETTINGS <= POSTGRES_ENV
    pg = COMPOSE["services"]["postgres"]["environment"]
    assert set(pg) == POSTGRES_ENV
    assert set(env_of(BUILDER)) <= BUILD_ENV
    assert set(env_of(RUNTIME)) <= SETTINGS | IMAGE_ENV
    for name, value in env_of(RUNTIME).items():
        if name == "REPORT_BOT_MANIFEST_PATH":  # the image copies app.yml there
            assert any(w == "COPY" and r == f"app.yml {value}" for w, r in RUNTIME.steps)
    interpolated = set(re.findall(r"\$\{(\w+)", (DEPLOY / "docker-compose.yml").read_text("utf-8")))
    assert interpolated <= set(ENV_EXAMPLE), "every ${VAR} of the compose file is in env.example"


def test_the_database_and_the_webhook_secret_reach_every_container_that_needs_them() -> None:
    for c in ALL:
        assert "REPORT_BOT_DATABASE_URL" in c.env, c.where
        if c.args[0] != "migrate":
            assert {"REPORT_BOT_WEBHOOK_SECRET", "REPORT_BOT_APP_ID", "REPORT_BOT_PRIVATE_KEY_PATH"} <= set(
                c.env
            )
    for c in ALL:
        if c.where.startswith(("k8s", "cloudrun")):
            secret_env = {k for k, v in c.env.items() if v is None}
            assert {"REPORT_BOT_DATABASE_URL"} <= secret_env, f"{c.where}: the database password is a secret"
            if c.args[0] != "migrate":
                assert "REPORT_BOT_WEBHOOK_SECRET" in secret_env


def test_every_secret_a_manifest_refers_to_is_defined_and_the_key_is_where_the_setting_says() -> None:
    k8s_secrets = secret_keys_k8s()
    assert set(k8s_secrets) == {"report-bot-app-key", "report-bot-webhook-secret", "report-bot-database"}
    for c in k8s_containers():
        for name, key in c.secret_refs:
            assert key in k8s_secrets.get(name, set()), f"{c.where}: secret {name} has no key {key}"
    run_secrets = cloudrun_secrets()
    for c in cloudrun_containers():
        for name, key in c.secret_refs:
            assert name in run_secrets and key == "latest", (
                f"{c.where}: secret {name} is not made in the README"
            )
    for where, spec in pod_specs(K8S_DOCS) + pod_specs(CLOUDRUN_DOCS):
        defined = k8s_secrets if where.startswith("k8s") else {name: {"latest"} for name in run_secrets}
        for vol in spec.get("volumes", []):
            if "secret" in vol:
                secret = vol["secret"]["secretName"]
                items = {i["key"] for i in vol["secret"].get("items", [])}
                assert secret in defined and items <= defined[secret], f"{where}: secret {secret}"
            if "persistentVolumeClaim" in vol:
                assert vol["persistentVolumeClaim"]["claimName"] in k8s_named("PersistentVolumeClaim")
    top = COMPOSE["secrets"]
    for name, svc in COMPOSE["services"].items():
        assert set(svc.get("secrets", [])) <= set(top), name
    for secret in top.values():  # the key file beside the compose file is never committed
        assert secret["file"].endswith(".pem")
        assert "*.pem" in (DEPLOY / ".gitignore").read_text("utf-8").split()
    assert ".env" in (DEPLOY / ".gitignore").read_text("utf-8").split()


def test_the_private_key_path_and_the_artifact_dir_are_mounted() -> None:
    """REPORT_BOT_PRIVATE_KEY_PATH is a file of a mounted secret, and REPORT_BOT_ARTIFACT_DIR one volume
    that every web and worker of a platform shares (a worker renders, any web replica serves)."""
    groups = {"compose": compose_containers(), "k8s": k8s_containers(), "cloudrun": cloudrun_containers()}
    for platform, containers in groups.items():
        shared: set[str] = set()
        for c in containers:
            if c.args[0] == "migrate":
                continue
            key = c.env["REPORT_BOT_PRIVATE_KEY_PATH"]
            assert key is not None
            folder, file = key.rsplit("/", 1)
            mount = c.mounts.get(folder) or c.mounts.get(key)
            assert mount is not None, f"{c.where}: nothing is mounted at {key}"
            if platform == "k8s":
                assert file in secret_keys_k8s()[mount]
            artifacts = c.env.get("REPORT_BOT_ARTIFACT_DIR") or env_of(RUNTIME)["REPORT_BOT_ARTIFACT_DIR"]
            assert artifacts in c.mounts, f"{c.where}: {artifacts} is not a volume"
            shared.add(c.mounts[artifacts])
        assert len(shared) == 1, f"{platform}: web and workers must share one artifact volume: {shared}"


def test_web_containers_are_probed_on_healthz_at_the_port_serve_listens_on() -> None:
    for c in k8s_containers() + cloudrun_containers():
        port = listen_port(c.args, c.where)
        if c.args[0] != "serve":
            continue
        assert port == SERVE_PORT and c.ports == [port], c.where
        kinds = (
            {"readinessProbe", "livenessProbe"}
            if c.where.startswith("k8s")
            else {"startupProbe", "livenessProbe"}
        )
        assert kinds <= set(c.probes), c.where
        for probe in c.probes.values():
            assert probe["httpGet"] == {"path": "/healthz", "port": port}, c.where
    for doc in K8S_DOCS:
        if doc["kind"] in ("Deployment", "Job"):
            (container,) = doc["spec"]["template"]["spec"]["containers"]
            assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
        if doc["kind"] == "Deployment":
            labels = doc["spec"]["template"]["metadata"]["labels"]
            assert doc["spec"]["selector"]["matchLabels"].items() <= labels.items()
    (service,) = k8s_named("Service").values()
    web = k8s_named("Deployment")["report-bot-web"]["spec"]["template"]
    assert service["spec"]["selector"].items() <= web["metadata"]["labels"].items()
    (port,) = service["spec"]["ports"]
    assert port["targetPort"] in [p["name"] for p in web["spec"]["containers"][0]["ports"]]
    for c in compose_containers():
        if c.args[0] == "serve":
            assert listen_port(c.args, c.where) == SERVE_PORT and c.ports == [SERVE_PORT]


def test_compose_starts_postgres_then_migrates_then_two_webs_and_two_workers() -> None:
    services = COMPOSE["services"]
    assert set(services) == {"postgres", "migrate", "web", "worker"}
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker"):
        assert services[name]["deploy"]["replicas"] == 2
        assert services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }
    assert services["worker"]["healthcheck"] == {"disable": True}  # it serves no /healthz
    url = services["web"]["environment"]["REPORT_BOT_DATABASE_URL"]
    assert (
        url.startswith("postgresql://report_bot:${POSTGRES_PASSWORD") and "@postgres:5432/report_bot" in url
    )


def test_the_cloud_run_worker_is_always_on_and_the_web_public() -> None:
    by_name = {d["metadata"]["name"]: d for d in CLOUDRUN_DOCS}
    worker = by_name["report-bot-worker"]
    notes = worker["spec"]["template"]["metadata"]["annotations"]
    assert int(notes["autoscaling.knative.dev/minScale"]) >= 1
    assert notes["run.googleapis.com/cpu-throttling"] == "false"
    assert worker["metadata"]["annotations"]["run.googleapis.com/ingress"] == "internal"
    assert by_name["report-bot-web"]["metadata"]["annotations"]["run.googleapis.com/ingress"] == "all"
    for doc in CLOUDRUN_DOCS:
        assert doc["metadata"]["labels"]["cloud.googleapis.com/location"] == "europe-north1"
        notes = doc["spec"]["template"]["metadata"]["annotations"]
        assert notes["run.googleapis.com/cloudsql-instances"] == "PROJECT_ID:europe-north1:report-bot"


def test_the_cloud_sql_url_of_the_readme_reaches_the_socket() -> None:
    from bot.store import make_engine

    (url,) = re.findall(
        r"'(postgresql://[^']+)'", (DEPLOY / "README.md").read_text("utf-8").split("Cloud Run", 1)[1]
    )
    engine = make_engine(url)
    _, kwargs = engine.dialect.create_connect_args(engine.url)
    assert (
        kwargs["host"] == "/cloudsql/PROJECT_ID:europe-north1:report-bot" and kwargs["dbname"] == "report_bot"
    )


# -- the builder stage, for real -----------------------------------------------------------------------------
def test_the_package_builds_as_the_dockerfile_does_and_runs(tmp_path: Path) -> None:
    """The builder's COPY and RUN lines, in order, in a fresh folder and venv (the pip cache reused: the
    image's PIP_NO_CACHE_DIR only keeps the layer small); then the installed `report-bot` starts, knows its
    commands, finds its packaged rule sets and migrates a database."""
    context, venv = tmp_path / "src", tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REPORT_BOT_", "VIRTUAL_ENV", "PYTHON"))}
    env.update({k: v for k, v in env_of(BUILDER).items() if k != "PIP_NO_CACHE_DIR"}, VENV=str(venv))
    shims = tmp_path / "bin"
    shims.mkdir()
    (shims / "python").symlink_to(sys.executable)  # the image's `python`: this Python 3.11
    env["PATH"] = f"{shims}{os.pathsep}{env['PATH']}"
    workdir = context
    for word, rest in BUILDER.steps:
        if word == "WORKDIR":  # the image's build folder is the test's
            workdir.mkdir(parents=True, exist_ok=True)
        elif word == "COPY":
            docker_copy(rest, workdir)
        elif word == "RUN":
            done = subprocess.run(
                ["bash", "-ec", rest], cwd=workdir, env=env, capture_output=True, text=True, timeout=240
            )
            assert done.returncode == 0, f"RUN {rest}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        else:
            assert word == "ENV", f"the test does not know how to run {word}"
    bot = venv / "bin" / "report-bot"
    run_env = {k: v for k, v in env.items() if not k.startswith("PIP_")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, cwd=tmp_path, env=run_env, capture_output=True, text=True, timeout=60)

    helped = run(str(bot), "--help")
    assert helped.returncode == 0, helped.stderr
    assert all(name in helped.stdout for name in ("serve", "migrate", "check"))
    where = run(str(venv / "bin" / "python"), "-c", "import bot; print(bot.__file__)").stdout
    assert where.startswith(str(venv)), "the venv imports the installed package, not this checkout"
    report = tmp_path / "reports" / "README.md"
    report.parent.mkdir()
    report.write_text(make_report(builtin("dtu-mlops-2026")), "utf-8")
    checked = run(str(bot), "check", str(report), "--rules", "dtu-mlops-2026")  # the packaged rule sets
    assert checked.returncode in (0, 1) and "dtu-mlops-2026" in checked.stdout, checked.stderr
    run_env["REPORT_BOT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'data' / 'bot.db'}"
    migrated = run(str(bot), "migrate")
    assert migrated.returncode == 0 and "schema version" in migrated.stdout, migrated.stderr
    serve_as_the_runtime_stage(bot, venv, tmp_path / "data", run_env)


def serve_as_the_runtime_stage(bot: Path, venv: Path, data: Path, env: dict[str, str]) -> None:
    """The runtime stage's COPY of app.yml and its settings (its /opt/report-bot is `venv`, its /data
    `data`): `serve` starts on them (without an App yet: the setup page, which needs the manifest) and the
    image's HEALTHCHECK command, run as it is, says healthy."""
    image_venv = env_of(BUILDER)["VENV"]

    def mapped(path: str) -> Path:
        for inside, outside in ((image_venv, venv), ("/data", data)):
            if path == inside or path.startswith(inside + "/"):
                return outside / path[len(inside) :].lstrip("/")
        raise AssertionError(f"the runtime stage names {path}, outside the venv and /data")

    for word, rest in RUNTIME.steps:
        if word == "COPY" and not rest.startswith("--from="):
            source, dest = rest.split()
            mapped(dest).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / source, mapped(dest))
    settings = {k: str(mapped(v)) for k, v in env_of(RUNTIME).items() if k.startswith("REPORT_BOT_")}
    assert set(settings) == {"REPORT_BOT_MANIFEST_PATH", "REPORT_BOT_ARTIFACT_DIR"}
    data.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = (data / "serve.log").open("w")
    server = subprocess.Popen(
        [str(bot), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=data,
        env={**env, **settings},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        health = json.loads(runtime_json("HEALTHCHECK").split(" CMD ", 1)[1])
        health[2] = health[2].replace(f"127.0.0.1:{SERVE_PORT}/", f"127.0.0.1:{port}/")

        def healthy() -> bool:
            assert server.poll() is None, f"serve stopped: {(data / 'serve.log').read_text()}"
            probe = subprocess.run([sys.executable, *health[1:]], capture_output=True, timeout=10)
            return probe.returncode == 0

        wait_until(healthy, timeout=30, interval=0.3)
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
