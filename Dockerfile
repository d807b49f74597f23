# syntax=docker/dockerfile:1
# Anime recommender web app: gunicorn + Flask serving a model trained OUTSIDE the image.
# The image holds code and pinned dependencies only; the trained run is mounted at /app/artifacts
# (a `current` symlink to runs/<run_id>/, see docs/architecture.md and docs/deploy.md).
#
#   docker build --build-arg GIT_COMMIT=$(git rev-parse HEAD) -t REGISTRY/anime-recommender:$(git rev-parse HEAD) .
#   docker run -p 5000:5000 -v "$PWD/artifacts:/app/artifacts:ro" REGISTRY/anime-recommender:<sha>
#   docker build --target train ... -t REGISTRY/anime-recommender-train:<sha> .   (the training CronJob's image)

# The base of every stage, BASE_IMAGE:BASE_TAG. A build without a registry names a local stand-in with the
# same Python (tests/delivery/test_image.py makes one with debootstrap):
#   --build-arg BASE_IMAGE=localhost/stand-in/python --build-arg BASE_TAG=<its tag>
ARG BASE_IMAGE=python
ARG BASE_TAG=3.11.14-slim-bookworm

# ---- builder: a venv with the pinned requirements and the package --------------------------------
FROM ${BASE_IMAGE}:${BASE_TAG} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH

WORKDIR /app
RUN python -m venv /opt/venv \
 && pip install --no-cache-dir pip==26.3 setuptools==80.9.0 wheel==0.48.0

# Dependencies first: this layer is rebuilt only when requirements-serve.txt changes. Serving needs
# only this subset (no TensorFlow, Keras, comet-ml, implicit, matplotlib: training runs outside the image).
COPY requirements-serve.txt ./
RUN pip install --no-cache-dir -r requirements-serve.txt

# The package, installed non-editable: templates, static files and the default config ship inside it
# (setup.py maps the top-level folders into the package), so nothing is read from /app/src at run time.
COPY setup.py MANIFEST.in requirements.txt ./
COPY src/ src/
COPY templates/ templates/
COPY static/ static/
COPY config/ config/
RUN pip install --no-cache-dir --no-deps --no-build-isolation .

# ---- serve_venv: the builder's venv without the installers the running app never uses -------------
# (pip, setuptools, wheel: 22 MB of site-packages). The train stage below still copies the builder's.
FROM ${BASE_IMAGE}:${BASE_TAG} AS serve_venv
COPY --from=builder /opt/venv /opt/venv
RUN /opt/venv/bin/python -m pip uninstall -y -q pip setuptools wheel

# ---- train: the training CronJob's image, `docker build --target train` (a plain build skips it) -----
# The serving venv plus the training set (requirements.txt: TensorFlow, Keras, comet-ml, ...) and
# pipeline/. Training still never runs during a build; the serving image below carries none of this.
FROM ${BASE_IMAGE}:${BASE_TAG} AS train

RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin app

ENV PATH=/opt/venv/bin:$PATH \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    HOME=/tmp \
    KERAS_HOME=/tmp/.keras \
    MPLCONFIGDIR=/tmp/.matplotlib \
    DATA_DIR=/app/data \
    ARTIFACTS_DIR=/app/artifacts

WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
COPY requirements.txt requirements-serve.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY pipeline/ pipeline/
RUN python -m compileall -q pipeline \
 && mkdir -p /app/artifacts /app/data \
 && chown 10001:10001 /app/artifacts /app/data

ARG GIT_COMMIT=unknown
LABEL org.opencontainers.image.revision="${GIT_COMMIT}"
ENV GIT_COMMIT=${GIT_COMMIT}

USER 10001:10001
CMD ["python", "pipeline/training_pipeline.py"]

# ---- runtime: the venv and the code, nothing else ------------------------------------------------
FROM ${BASE_IMAGE}:${BASE_TAG} AS runtime

# Fixed, unprivileged ids (>= 10000, outside the host's ranges); deployment.yaml runs as the same.
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin app

# HOME, Keras and matplotlib caches live under /tmp so the root filesystem can stay read-only.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    HOME=/tmp \
    KERAS_HOME=/tmp/.keras \
    MPLCONFIGDIR=/tmp/.matplotlib \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus \
    PORT=5000 \
    DATA_DIR=/app/data \
    ARTIFACTS_DIR=/app/artifacts

WORKDIR /app
COPY --from=serve_venv /opt/venv /opt/venv
COPY application.py gunicorn.conf.py ./

# Code stays root-owned (read-only for the app user); only the mount points belong to it. Byte-code
# is compiled now because the running container cannot write it (read-only root filesystem).
RUN python -m compileall -q application.py gunicorn.conf.py \
 && mkdir -p /app/artifacts /app/data \
 && chown 10001:10001 /app/artifacts /app/data

# The commit the image is built from (docker build --build-arg GIT_COMMIT=$(git rev-parse HEAD)):
# anime_recommender.resources.code_version() reads it, and it labels the image. Declared last so a new
# commit rebuilds only these metadata layers.
ARG GIT_COMMIT=unknown
LABEL org.opencontainers.image.revision="${GIT_COMMIT}"
ENV GIT_COMMIT=${GIT_COMMIT}

# The trained model: mount a published artifacts dir here (read-only is enough for serving).
VOLUME ["/app/artifacts"]

USER 10001:10001
EXPOSE 5000

HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '5000'), timeout=4)"]

CMD ["gunicorn", "-c", "gunicorn.conf.py", "application:app"]
