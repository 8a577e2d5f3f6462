# syntax=docker/dockerfile:1
# Petrel container image: build with the Swift toolchain, run on a minimal Ubuntu without it.
# Built and pushed by .github/workflows/release.yml; scripts/check-image.sh proves the runtime
# contract (UID 1000, read-only root, /data, SIGTERM drain) offline with a host-built binary.

# Builder and runtime share the Ubuntu release (noble), so the binary's libc matches.
# swift-tools-version 6.2 (Package.swift) needs a 6.2+ toolchain; CI and development use 6.3.
FROM swift:6.3-noble AS build
# GRDB links SQLite; the runtime stage installs its shared library.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libsqlite3-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Resolve dependencies in their own layer: source edits do not refetch packages. The scratch path
# is the one scripts/build-release.sh builds in.
COPY Package.swift Package.resolved* ./
RUN swift package resolve --scratch-path .build/shipped
# Everything SwiftPM validates (Sources, Tests, Benchmarks: it checks every target's directory
# even when building one product); .dockerignore keeps build output, VCS and deploy files out.
COPY . .
ARG VERSION=0.0.0-dev
ARG GIT_COMMIT=unknown
ARG BUILD_DATE=unknown
# scripts/build-release.sh is how every shipped binary is built: the Swift runtime linked in
# statically, so the runtime stage needs no toolchain libraries. It reads VERSION, GIT_COMMIT and
# BUILD_DATE (the ARGs above) for /version and petrel_build_info, and prints the directory the
# binary is in.
RUN bin="$(scripts/build-release.sh petrel)" \
 && install -D -m 0755 "$bin/petrel" /out/petrel

FROM ubuntu:24.04
ARG VERSION=0.0.0-dev
ARG GIT_COMMIT=unknown
ARG BUILD_DATE=unknown
LABEL org.opencontainers.image.title="petrel" \
      org.opencontainers.image.description="Petrel HTTP microservice" \
      org.opencontainers.image.source="https://github.com/petrel-sre/petrel" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${GIT_COMMIT}" \
      org.opencontainers.image.created="${BUILD_DATE}"
# Only what the binary needs: TLS roots, zone data, SQLite and libstdc++, as packages, so image
# scanners see them and a rebuild picks up their security fixes. Versions are not pinned: the
# base image tag fixes the release, and a rebuild should pick up security updates.
# noble ships user "ubuntu" as UID/GID 1000; replace it with "petrel" on the same numbers.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata libsqlite3-0 libstdc++6 \
 && rm -rf /var/lib/apt/lists/* \
 && if id ubuntu >/dev/null 2>&1; then userdel --remove ubuntu; fi \
 && groupadd --gid 1000 petrel \
 && useradd --uid 1000 --gid 1000 --home-dir /data --no-create-home --shell /usr/sbin/nologin petrel \
 && install -d -o 1000 -g 1000 -m 0750 /data \
 && install -d -o 0 -g 0 -m 0555 /app
COPY --from=build /out/petrel /usr/local/bin/petrel
# The service reads ./.env from its working directory, so that must not be the writable volume
# (a file planted there would reconfigure the next start): /app is root-owned and read-only,
# and holds nothing. Settings come from the environment (ConfigMap) only.
WORKDIR /app
# /data is the only writable path; run with a read-only root filesystem.
VOLUME ["/data"]
ENV DATA_DIR=/data \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080 \
    ADMIN_PORT=9797
USER 1000:1000
# 8080: the API, the page and the probes. 9797: the admin listener (/metrics, the fault and
# readiness switches, /status, /delay), for Prometheus and operators only; publish it nowhere public.
EXPOSE 8080 9797
# Kubernetes probes /healthz and /readiness; the image has no curl or shell to run a HEALTHCHECK.
# checkov:skip=CKV_DOCKER_2: health is checked by the orchestrator's HTTP probes, not by an in-image command
STOPSIGNAL SIGTERM
ENTRYPOINT ["petrel"]
