# JIPPNas Search app image: a regular (non-editable) install of the project into a virtualenv,
# run as an unprivileged user; data and the vector cache on volumes. See README "Deployment".
#
# The base is plain Debian bookworm. With no image registry at hand, deploy/build-base.sh builds
# it from Debian's packages (jippnas-base:bookworm); where one is reachable,
# `--build-arg BASE_IMAGE=debian:bookworm-slim` gives the same image.
ARG BASE_IMAGE=jippnas-base:bookworm

# ---------------------------------------------------------------- build: install into /opt/jippnas
FROM ${BASE_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/jippnas
WORKDIR /src
# The context is only what the package is built from: .dockerignore lists it.
COPY . .
# An HTTPS-intercepting proxy's CA bundle can be passed as the build secret `pip_cert`
# (deploy/smoke.sh passes $PIP_CERT); a secret is never stored in a layer.
RUN --mount=type=secret,id=pip_cert \
    if [ -s /run/secrets/pip_cert ]; then export PIP_CERT=/run/secrets/pip_cert; fi \
 && /opt/jippnas/bin/pip install --no-cache-dir --disable-pip-version-check --no-warn-script-location . \
 && /opt/jippnas/bin/pip check \
 && /opt/jippnas/bin/pip uninstall --yes --quiet pip setuptools \
 && cd / \
 && ln -s "$(/opt/jippnas/bin/python -I -c 'import jippnas, pathlib; print(pathlib.Path(jippnas.__file__).parent / "sample")')" \
          /opt/jippnas/sample

# ---------------------------------------------------------------- runtime
FROM ${BASE_IMAGE}
LABEL org.opencontainers.image.title="JIPPNas Search" \
      org.opencontainers.image.description="Search over Indonesia's public-service innovations (KIPP, IGA, InoLAN)" \
      org.opencontainers.image.licenses="MIT"
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 jippnas \
 && useradd --system --uid 10001 --gid jippnas --home-dir /home/jippnas --create-home \
            --shell /usr/sbin/nologin jippnas \
 && install -d -o jippnas -g jippnas -m 0750 /data /cache
# Owned by root, read-only to the app user.
COPY --from=build /opt/jippnas /opt/jippnas
COPY --chmod=0755 deploy/entrypoint.sh /usr/local/bin/jippnas-entrypoint
ENV PATH=/opt/jippnas/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    JIPPNAS_DATA_DIR=/data \
    JIPPNAS_CACHE_DIR=/cache
# /data: SQLite catalog (unless JIPPNAS_CATALOG_URL), embedded index, rejects.csv
# /cache: vectors by model + text hash (keeps restarts and reindexing from re-embedding)
VOLUME ["/data", "/cache"]
USER 10001:10001
WORKDIR /home/jippnas
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python3", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
ENTRYPOINT ["/usr/local/bin/jippnas-entrypoint"]
# The server only. Importing is a one-off step (README "Deployment"); the bundled sample is at
# /opt/jippnas/sample:  docker compose run --rm app sh -c 'jippnas index /opt/jippnas/sample/*'
CMD ["jippnas", "serve", "--host", "0.0.0.0", "--port", "8000"]
