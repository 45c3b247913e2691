# telnyx-emulator as a container.
#
#   docker build -t telnyx-emulator .
#   docker run --rm -p 4010:4010 telnyx-emulator
#
# Mount points:
#   /fixtures  fixture folder loaded at start-up (the image holds a copy of the defaults);
#              replace it with -v "$PWD/my-fixtures:/fixtures:ro"
#   /data      writable by the emulator user; keep state across restarts with
#              -v emulator-data:/data -e TELNYX_EMULATOR_DATABASE=/data/emulator.db
#
# Only the classic builder's instructions are used, so the file builds with and without
# BuildKit and on older engines.

FROM python:3.12-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src

# Dependencies first, read from pyproject.toml alone, so that editing the source
# reuses this layer. They go to /deps and the emulator to /emulator, two prefixes the
# runtime stage copies as two layers: a source change then rebuilds only the small one.
COPY pyproject.toml ./
RUN python -c "import tomllib; \
meta = tomllib.load(open('pyproject.toml', 'rb')); \
open('/tmp/build-requirements.txt', 'w').write('\n'.join(meta['build-system']['requires'])); \
open('/tmp/requirements.txt', 'w').write('\n'.join(meta['project']['dependencies']))" \
    && pip install -r /tmp/build-requirements.txt \
    && pip install --prefix /deps --no-warn-script-location -r /tmp/requirements.txt

COPY README.md openapi.yml ./
COPY fixtures/ fixtures/
COPY app/ app/
RUN pip wheel --no-deps --no-build-isolation --wheel-dir /dist . \
    && pip install --prefix /emulator --no-deps --no-warn-script-location /dist/*.whl


FROM python:3.12-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TELNYX_EMULATOR_HOST=0.0.0.0 \
    TELNYX_EMULATOR_PORT=4010 \
    TELNYX_EMULATOR_FIXTURES=/fixtures

# A fixed numeric id lets orchestrators check runAsNonRoot and lets users match
# ownership of a bind-mounted data folder (chown 10001 or run with --user).
RUN groupadd --gid 10001 emulator \
    && useradd --uid 10001 --gid emulator --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin emulator \
    && mkdir /data \
    && chown emulator:emulator /data

COPY --from=build /deps /usr/local
COPY --from=build /emulator /usr/local
COPY fixtures/ /fixtures/
# A relative --database path then lands on the data volume.
WORKDIR /data

# No VOLUME instruction: it would leave an anonymous volume behind on every run,
# while the database is in memory unless TELNYX_EMULATOR_DATABASE names a file.
USER 10001:10001
EXPOSE 4010

# The probe reads the port from TELNYX_EMULATOR_PORT: change the port with that
# variable rather than --port. No --start-interval: engines before 25.0 reject it.
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/_emulator/health' % os.environ['TELNYX_EMULATOR_PORT'], timeout=2)"]

# Exec form: the emulator is PID 1 and receives docker stop's SIGTERM itself.
ENTRYPOINT ["telnyx-emulator"]
