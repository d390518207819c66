# syntax=docker/dockerfile:1
# One image for every ArchiveStream job: `archivestream operator|api|crawler|migrate|crawl|up`.
# Stage 1 builds wheels for the project and all its dependencies; stage 2 installs them
# into a clean slim image without pip's cache or the wheels themselves.

FROM python:3.11-slim-bookworm AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY core ./core
COPY crawler ./crawler
COPY api ./api
COPY operator ./operator
RUN pip wheel --no-cache-dir --wheel-dir /wheels .


FROM python:3.11-slim-bookworm AS runtime

LABEL org.opencontainers.image.title="archivestream" \
      org.opencontainers.image.description="Web archive: crawler, API and Kubernetes operator" \
      org.opencontainers.image.licenses="Apache-2.0"

# Byte-code is not written (read-only root filesystem on Kubernetes); logs are unbuffered.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ARCHIVESTREAM_DATA_DIR=/data

# The wheels are bind-mounted from the build stage so they never land in a layer.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels /wheels/archivestream-*.whl

# A fixed numeric UID/GID so `runAsNonRoot` can be verified by the kubelet.
RUN groupadd --system --gid 10001 archivestream \
    && useradd --system --uid 10001 --gid 10001 --home-dir /home/archivestream \
       --create-home --shell /usr/sbin/nologin archivestream \
    && mkdir -p /data \
    && chown 10001:10001 /data

USER 10001:10001
WORKDIR /home/archivestream

# 3001: the archive API; 8080: the operator's health endpoint (kopf --liveness).
EXPOSE 3001 8080

ENTRYPOINT ["archivestream"]
CMD ["--help"]
