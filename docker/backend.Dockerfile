# syntax=docker/dockerfile:1.7
# Deltaplane API image (Litestar on uvicorn, port 8001).
#
#   docker build -f docker/backend.Dockerfile --build-arg APP_UID=$(id -u) --build-arg APP_GID=$(id -g) .
#
# Migrations are NOT run by this image's default command: docker-compose.prod.yml runs the
# one-shot service `migrate` (`deltaplane migrate` = alembic upgrade head) to completion before
# `backend` starts (depends_on: service_completed_successfully), and sets AUTO_MIGRATE=false.

############################ builder: build a wheel and install it into a venv ################
FROM python:3.11-slim AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /build
RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:${PATH}"

COPY backend/pyproject.toml ./
COPY backend/src ./src
RUN pip install --upgrade pip wheel \
 && pip wheel --no-deps --wheel-dir /wheels . \
 && pip install /wheels/*.whl \
 && pip check

############################ runtime: slim, non-root, only what runs ###########################
FROM python:3.11-slim AS runtime

ARG APP_UID=1000
ARG APP_GID=1000

ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ENVIRONMENT=production \
    HOST=0.0.0.0 \
    PORT=8001 \
    SERVE_SPA=false \
    AUTO_MIGRATE=false \
    DATABASE_URL=sqlite+aiosqlite:////app/data/deltaplane.db \
    LOG_DIR=/app/logs \
    TRUST_PROXY_HEADERS=true \
    FORWARDED_ALLOW_IPS=*

# tzdata comes from PyPI (pinned in pyproject); no OS packages are needed at run time.
RUN groupadd --system --gid "${APP_GID}" app \
 && useradd --system --uid "${APP_UID}" --gid "${APP_GID}" --home-dir /app --shell /usr/sbin/nologin app \
 && mkdir -p /app/data /app/logs \
 && chown -R "${APP_UID}:${APP_GID}" /app

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
USER app:app

EXPOSE 8001
VOLUME ["/app/data", "/app/logs"]

HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=5 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8001/api/health', timeout=4).status == 200 else 1)"]

# `deltaplane serve` runs uvicorn with the app factory on HOST:PORT (0.0.0.0:8001 above);
# FORWARDED_ALLOW_IPS=* lets uvicorn trust nginx's X-Forwarded-* (the port is never published).
CMD ["deltaplane", "serve"]
