# report-bot: one image for `report-bot serve` (web) and `report-bot worker` (jobs), and `report-bot migrate`.
#
#   docker build -t europe-north1-docker.pkg.dev/PROJECT_ID/report-bot/report-bot:0.1.0 .
#   docker run -p 8000:8000 --env-file .env IMAGE                 # serve (the default command)
#   docker run --env-file .env IMAGE worker --concurrency 4       # a worker (PostgreSQL only)
#   docker run --env-file .env IMAGE migrate                      # create or upgrade the tables
#
# tests/test_deploy.py runs this file's builder steps (its COPY and RUN lines) in a fresh venv.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# -- builder: a venv with the exact versions of requirements/serve.txt (the App's stack and PostgreSQL's
#    driver and procrastinate), then the project itself with the app,postgres extras -----------------------
FROM ${PYTHON_IMAGE} AS builder
ENV VENV=/opt/report-bot \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv "$VENV"
COPY requirements/serve.txt requirements/serve.txt
RUN "$VENV/bin/pip" install -r requirements/serve.txt
COPY pyproject.toml README.md ./
COPY bot bot
RUN "$VENV/bin/pip" install --no-deps ".[app,postgres]" && "$VENV/bin/pip" check

# -- runtime: the venv only, no compiler, no pip cache, not root ----------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 report-bot \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --shell /usr/sbin/nologin report-bot \
    && mkdir -p /data/artifacts \
    && chown -R 10001:10001 /data
COPY --from=builder /opt/report-bot /opt/report-bot
COPY app.yml /opt/report-bot/app.yml
ENV PATH=/opt/report-bot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    REPORT_BOT_MANIFEST_PATH=/opt/report-bot/app.yml \
    REPORT_BOT_ARTIFACT_DIR=/data/artifacts
WORKDIR /data
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["report-bot"]
CMD ["serve", "--host", "0.0.0.0"]
