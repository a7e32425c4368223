# syntax=docker/dockerfile:1
# The aftersales image: one CLI, `aftersales`, whose default command runs a stream-processing worker.
#   docker build -t aftersales .
#   docker run --rm aftersales --help

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# A compiler only for the odd dependency without a wheel; it stays in this stage.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY schemas ./schemas
COPY pipeline ./pipeline
COPY consumers ./consumers
COPY producers ./producers
# No extras: the embedded brokers are for laptops and CI, production talks to a real Kafka.
RUN pip install . && aftersales --help > /dev/null

FROM python:3.11-slim
LABEL org.opencontainers.image.title="aftersales" \
      org.opencontainers.image.description="After-sales feedback pipeline: worker and CLI"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    AFTERSALES_VAR_DIR=/var/lib/aftersales \
    AFTERSALES_METRICS_HOST=0.0.0.0 \
    AFTERSALES_METRICS_PORT=6066 \
    AFTERSALES_LOG_FORMAT=json
RUN groupadd --system --gid 10001 aftersales \
    && useradd --system --uid 10001 --gid aftersales --home-dir /var/lib/aftersales \
       --create-home --shell /usr/sbin/nologin aftersales
COPY --from=build /opt/venv /opt/venv
USER aftersales
WORKDIR /var/lib/aftersales
EXPOSE 6066
# Liveness only (/healthz); readiness (/readyz) also needs the warehouse and the broker.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('AFTERSALES_METRICS_PORT', '6066'), timeout=4)"]
ENTRYPOINT ["aftersales"]
CMD ["worker"]
