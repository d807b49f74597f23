"""Dockerfile, gunicorn.conf.py, deployment.yaml and the app agree: ports, probe paths, env vars, user ids."""
from __future__ import annotations

import dataclasses
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from anime_recommender.config import config_from_dict, load_config
from anime_recommender.web import signed_list
from tests.conftest import PROJECT_ROOT
from tests.delivery.conftest import find

pytestmark = pytest.mark.delivery


def gunicorn_settings(monkeypatch, **env: str) -> dict:
    """gunicorn.conf.py evaluated under exactly these gunicorn-related env vars."""
    for name in ("BIND", "PORT", "WEB_CONCURRENCY", "GUNICORN_WORKER_CLASS", "GUNICORN_THREADS",
                 "GUNICORN_WORKER_CONNECTIONS", "GUNICORN_TIMEOUT",
                 "GUNICORN_GRACEFUL_TIMEOUT", "GUNICORN_KEEPALIVE", "GUNICORN_MAX_REQUESTS",
                 "GUNICORN_CONTROL_SOCKET", "PROMETHEUS_MULTIPROC_DIR", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))


def env_of(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container.get("env", [])}


def port_number(container: dict, port: int | str) -> int:
    """A probe's / Service's port (a number or a container port name) as a number."""
    if isinstance(port, int):
        return port
    return next(p["containerPort"] for p in container["ports"] if p["name"] == port)


# --- gunicorn.conf.py ---------------------------------------------------------------------------

def test_gunicorn_defaults(monkeypatch, dockerfile):
    settings = gunicorn_settings(monkeypatch)
    assert settings["bind"] == [f"0.0.0.0:{dockerfile.exposed_port}"]
    assert settings["preload_app"] is True
    assert settings["accesslog"] is None and settings["errorlog"] == "-"  # the app logs each request once
    assert settings["worker_class"] == "gevent" and settings["worker_connections"] >= 50  # issue 11: slow clients
    assert 1 <= settings["workers"] <= settings["available_cpus"]()
    assert settings["timeout"] > 0 and settings["graceful_timeout"] > 0 and settings["keepalive"] > 0
    assert settings["control_socket_disable"] is True
    assert settings["worker_tmp_dir"] in ("/dev/shm", None)


def test_gunicorn_env_overrides(monkeypatch):
    settings = gunicorn_settings(monkeypatch, BIND="127.0.0.1:5999", WEB_CONCURRENCY="3",
                                 GUNICORN_WORKER_CONNECTIONS="500", GUNICORN_TIMEOUT="90")
    assert settings["bind"] == ["127.0.0.1:5999"]  # what `make run` / `make serve` set
    assert (settings["workers"], settings["worker_connections"], settings["timeout"]) == (3, 500, 90)
    assert gunicorn_settings(monkeypatch, PORT="8123")["bind"] == ["0.0.0.0:8123"]
    with pytest.raises(SystemExit, match="WEB_CONCURRENCY"):
        gunicorn_settings(monkeypatch, WEB_CONCURRENCY="many")
    threaded = gunicorn_settings(monkeypatch, GUNICORN_WORKER_CLASS="gthread", GUNICORN_THREADS="2")
    assert (threaded["worker_class"], threaded["threads"]) == ("gthread", 2)
    with pytest.raises(SystemExit, match="GUNICORN_WORKER_CLASS"):
        gunicorn_settings(monkeypatch, GUNICORN_WORKER_CLASS="eventlet")


def test_makefile_serves_with_the_same_config():
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    assert makefile.count("gunicorn -c gunicorn.conf.py application:app") == 2  # run and serve


def test_graceful_shutdown_fits_the_termination_grace_period(monkeypatch, deployment, web_container):
    pod = deployment["spec"]["template"]["spec"]
    pre_stop = web_container["lifecycle"]["preStop"]["sleep"]["seconds"]
    graceful = gunicorn_settings(monkeypatch)["graceful_timeout"]
    assert pre_stop + graceful < pod["terminationGracePeriodSeconds"]
    env = env_of(web_container)
    if "GUNICORN_GRACEFUL_TIMEOUT" in env:
        assert pre_stop + int(env["GUNICORN_GRACEFUL_TIMEOUT"]["value"]) < pod["terminationGracePeriodSeconds"]


# --- ports ------------------------------------------------------------------------------------------

def test_one_port_everywhere(monkeypatch, dockerfile, manifests, deployment, web_container, proxy_container):
    """gunicorn's port is the image's; the Service, Prometheus and the NetworkPolicy reach the proxy's."""
    port = dockerfile.exposed_port
    assert int(dockerfile.env["PORT"]) == port
    assert gunicorn_settings(monkeypatch)["PORT"] == port
    assert [p["containerPort"] for p in web_container["ports"]] == [port]
    assert env_of(web_container)["PORT"]["value"] == str(port)
    (proxy_port,) = [p["containerPort"] for p in proxy_container["ports"]]
    assert deployment["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"] == str(proxy_port)
    service = find(manifests, "Service")
    assert service["spec"]["type"] == "LoadBalancer"
    (service_port,) = service["spec"]["ports"]
    assert service_port["port"] == 80 and port_number(proxy_container, service_port["targetPort"]) == proxy_port
    port, web_container = proxy_port, proxy_container  # what the NetworkPolicy opens
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    for kind in ("HorizontalPodAutoscaler",):
        assert find(manifests, kind)["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    policy = find(manifests, "NetworkPolicy", "anime-recommender-web")
    assert [port_number(web_container, p["port"]) for p in policy["spec"]["ingress"][0]["ports"]] == [port]


# --- probes ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def app_routes(tmp_path_factory) -> set[str]:
    """The Flask app's URL rules (create_app with no model: it must start anyway)."""
    web = pytest.importorskip("anime_recommender.web", reason="anime_recommender.web not written yet")
    empty = tmp_path_factory.mktemp("no-model")
    cfg = load_config(env={"ARTIFACTS_DIR": str(empty)})
    app = web.create_app(cfg)
    return {rule.rule for rule in app.url_map.iter_rules()}


def test_probe_paths_exist_in_the_app(dockerfile, deployment, web_container, app_routes):
    _, command = dockerfile.healthcheck
    healthcheck_path = re.search(r"127\.0\.0\.1:[^/]*(/[\w/-]*)", " ".join(command)).group(1)
    probes = {kind: web_container[kind]["httpGet"] for kind in ("startupProbe", "readinessProbe")}
    assert healthcheck_path == probes["startupProbe"]["path"] == "/healthz"
    assert probes["readinessProbe"]["path"] == "/readyz"
    probes["livenessProbe"] = web_container["livenessProbe"]["tcpSocket"]  # issue 17: not behind the queue
    for probe in probes.values():
        assert port_number(web_container, probe["port"]) == dockerfile.exposed_port
    metrics_path = deployment["spec"]["template"]["metadata"]["annotations"]["prometheus.io/path"]
    assert {"/healthz", "/readyz", metrics_path} <= app_routes, app_routes


def test_healthcheck_uses_the_port_variable(dockerfile):
    options, command = dockerfile.healthcheck
    assert command[:2] == ["python", "-c"], "slim images have no curl: the check runs python"
    code = command[2]
    assert re.search(r"os\.environ\.get\('PORT', '(\d+)'\)", code).group(1) == str(dockerfile.exposed_port)
    assert {"interval", "timeout", "start-period", "retries"} <= options.keys()


# --- env vars ------------------------------------------------------------------------------------

def test_env_vars_are_the_ones_the_config_reads(tmp_path, dockerfile, manifests, web_container):
    """APP_CONFIG, DATA_DIR and ARTIFACTS_DIR as set in the image and the pods change the loaded config."""
    config_file = tmp_path / "config.yaml"
    config_file.write_text((PROJECT_ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    cfg = load_config(env={"APP_CONFIG": str(config_file), "DATA_DIR": "/data/x", "ARTIFACTS_DIR": "/art/y"})
    assert (cfg.paths.data_dir, cfg.paths.artifacts_dir) == (Path("/data/x"), Path("/art/y"))
    with pytest.raises(Exception, match="not found"):
        load_config(env={"APP_CONFIG": str(tmp_path / "missing.yaml")})

    known = {"APP_CONFIG", "DATA_DIR", "ARTIFACTS_DIR", "COMET_API_KEY", "PORT", "BIND", "WEB_CONCURRENCY",
             "GUNICORN_WORKER_CONNECTIONS", "GUNICORN_TIMEOUT", "GUNICORN_GRACEFUL_TIMEOUT", "GUNICORN_KEEPALIVE",
             "GUNICORN_WORKER_CLASS", "GUNICORN_THREADS", "PROMETHEUS_MULTIPROC_DIR", "LOG_LEVEL", signed_list.KEY_ENV}
    conf_text = (PROJECT_ROOT / "gunicorn.conf.py").read_text(encoding="utf-8")
    for name in known - {"APP_CONFIG", "DATA_DIR", "ARTIFACTS_DIR", "COMET_API_KEY", signed_list.KEY_ENV}:
        assert name in conf_text, f"{name} is not read by gunicorn.conf.py"
    cronjob = find(manifests, "CronJob")
    train_container = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    for container in (web_container, train_container):
        unknown = set(env_of(container)) - known
        assert not unknown, f"{container['name']}: env vars nothing reads: {unknown}"
        env = env_of(container)
        assert env["ARTIFACTS_DIR"]["value"] == dockerfile.env["ARTIFACTS_DIR"]
        secret = env["COMET_API_KEY"]["valueFrom"]["secretKeyRef"]
        assert secret["optional"] is True and "value" not in env["COMET_API_KEY"]
    assert env_of(train_container)["DATA_DIR"]["value"] == dockerfile.env["DATA_DIR"]
    signing = env_of(web_container)[signed_list.KEY_ENV]
    assert signing["valueFrom"]["secretKeyRef"]["optional"] is True and "value" not in signing


def _leaves(tree: dict, prefix: str = "") -> dict[str, object]:
    """{"section.key": value} for every non-mapping value of a nested mapping."""
    found = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        found.update(_leaves(value, name + ".") if isinstance(value, dict) else {name: value})
    return found


def test_configmap_holds_production_overrides_only(manifests, web_container):
    """Every key of the mounted config exists in config/config.yaml and overrides its default (no copy to keep
    in step); the rest comes from the packaged defaults; APP_CONFIG points at the mount."""
    configmap = find(manifests, "ConfigMap", "anime-recommender-config")
    mounted = yaml.safe_load(configmap["data"]["config.yaml"])
    defaults = _leaves(yaml.safe_load((PROJECT_ROOT / "config" / "config.yaml").read_text(encoding="utf-8")))
    overrides = _leaves(mounted)
    assert overrides, "an empty ConfigMap: drop it and its mount instead"
    for key, value in overrides.items():
        assert key in defaults, f"the ConfigMap sets {key}, which config/config.yaml does not have"
        assert value != defaults[key], f"the ConfigMap repeats the default of {key}: leave it out"
    loaded = _leaves(dataclasses.asdict(config_from_dict(mounted, env={})))
    packaged = _leaves(dataclasses.asdict(config_from_dict({}, env={})))
    changed = {key for key, value in loaded.items() if packaged[key] != value}
    assert changed == set(overrides), "keys left out of the ConfigMap keep the packaged defaults"
    app_config = Path(env_of(web_container)["APP_CONFIG"]["value"])
    mount = next(m for m in web_container["volumeMounts"] if m["name"] == "config")
    assert app_config.parent == Path(mount["mountPath"]) and app_config.name in configmap["data"]


# --- users, volumes, image -----------------------------------------------------------------------

def test_same_non_root_user(dockerfile, manifests, deployment):
    user = dockerfile.final("USER").args
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) >= 10000, f"USER must be a numeric uid >= 10000, got {user!r}"
    cronjob = find(manifests, "CronJob")
    pods = [deployment["spec"]["template"]["spec"], cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]]
    for pod in pods:
        assert pod["securityContext"]["runAsUser"] == int(uid) and pod["securityContext"]["runAsNonRoot"]
        assert pod["securityContext"]["runAsGroup"] == int(gid or uid)
        assert pod["automountServiceAccountToken"] is False
        for container in pod["containers"]:
            ctx = container["securityContext"]
            assert ctx["runAsUser"] == int(uid) and ctx["readOnlyRootFilesystem"] is True
            assert ctx["allowPrivilegeEscalation"] is False and ctx["capabilities"]["drop"] == ["ALL"]
            assert ctx["seccompProfile"]["type"] == "RuntimeDefault"
            image = "anime-recommender-train" if pod is pods[1] else "anime-recommender"  # the train stage
            if container["name"] == "proxy":  # the nginx sidecar: a pinned release of nginx's unprivileged image
                assert re.fullmatch(r"docker\.io/nginxinc/nginx-unprivileged:[0-9.]+-bookworm", container["image"])
            else:
                assert container["image"] == f"REGISTRY/{image}:GIT_SHA"
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert "/tmp" in mounts, "read-only root: /tmp must be a writable emptyDir"
            assert container["resources"]["limits"]["memory"] and container["resources"]["requests"]["cpu"]


def test_artifacts_volume(dockerfile, manifests, web_container):
    artifacts = dockerfile.env["ARTIFACTS_DIR"]
    assert f'VOLUME ["{artifacts}"]' in (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")
    mount = next(m for m in web_container["volumeMounts"] if m["mountPath"] == artifacts)
    assert mount["readOnly"] is True
    deployment = find(manifests, "Deployment")
    volume = next(v for v in deployment["spec"]["template"]["spec"]["volumes"] if v["name"] == mount["name"])
    claim = find(manifests, "PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"])
    assert volume["persistentVolumeClaim"]["readOnly"] is True
    assert set(claim["spec"]["accessModes"]) & {"ReadOnlyMany", "ReadWriteMany"}, "replicas span nodes"


def test_rollout_shape(manifests, deployment):
    spec = deployment["spec"]
    assert spec["replicas"] >= 2
    assert spec["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}
    hpa = find(manifests, "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2" and hpa["spec"]["minReplicas"] == spec["replicas"]
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"


def test_dockerfile_shape(dockerfile):
    froms = [i.args for i in dockerfile.instructions if i.keyword == "FROM"]
    assert len(froms) >= 2, "multi-stage build expected"
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", dockerfile.base_image)
    for image in froms:
        assert re.fullmatch(r"\$\{BASE_IMAGE\}:\$\{BASE_TAG\}( AS \w+)?", image), f"every stage: FROM the ARGs: {image}"
    assert dockerfile.cmd[:3] == ["gunicorn", "-c", "gunicorn.conf.py"]
    assert "RUN" not in {i.keyword for i in dockerfile.stage() if "training_pipeline" in i.args}, (
        "no training in docker build"
    )


def test_each_image_installs_what_it_runs(dockerfile, manifests):
    """The serving image: requirements-serve.txt and the package, no training code; the `train` stage
    (the CronJob's image): requirements.txt and the pipeline the CronJob runs."""
    serving = " ".join(i.args for i in dockerfile.stage(0) if i.keyword == "RUN")  # the builder's venv
    assert "pip install --no-cache-dir -r requirements-serve.txt" in serving and "-r requirements.txt" not in serving
    assert re.search(r"pip install [^&]*--no-deps[^&]* \.(\s|$)", serving) and " -e " not in serving
    final = " ".join(i.args for i in dockerfile.stage())
    assert "pipeline" not in final and "src/" not in final, "the serving image runs the installed package"
    train_stage = next(i.stage for i in dockerfile.instructions if i.keyword == "FROM" and i.args.endswith(" AS train"))
    train = dockerfile.stage(train_stage)
    assert any(i.keyword == "RUN" and "-r requirements.txt" in i.args for i in train)
    cronjob = find(manifests, "CronJob")
    command = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"]
    script = next(c for c in command if c.endswith(".py"))
    assert any(i.keyword == "COPY" and i.args.split()[0].rstrip("/") == script.split("/")[0] for i in train)
    assert "GIT_COMMIT" in dockerfile.env and any(i.keyword == "ARG" and "GIT_COMMIT" in i.args
                                                  for i in dockerfile.stage())


def test_dockerignore_keeps_the_context_small_and_complete(dockerfile):
    ignored = {line.strip().rstrip("/") for line in (PROJECT_ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    required = {".venv", ".venv-tools", "data", "artifacts", "tests", "bench", ".git", "node_modules",
                "**/__pycache__", "docs"}
    assert required <= ignored, f".dockerignore lacks {required - ignored}"
    for instruction in dockerfile.instructions:
        if instruction.keyword == "COPY" and "--from=" not in instruction.args:
            *sources, _ = instruction.args.split()
            for source in sources:
                name = source.rstrip("/")
                assert (PROJECT_ROOT / name).exists(), f"COPY {source}: not in repo"
                assert name.split("/")[0] not in ignored, f"COPY {source} but .dockerignore excludes it"


def test_serving_process_does_not_import_tensorflow(tmp_path):
    """preload_app forks after the app is imported: TensorFlow's thread pools do not survive a fork,
    and its ~0.5 GB would sit in every pod. The web app must serve from the numpy arrays only."""
    code = ("import sys, application; "
            "print(sorted(m for m in ('tensorflow', 'keras', 'comet_ml') if m in sys.modules))")
    env = {**os.environ, "ARTIFACTS_DIR": str(tmp_path), "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[]", f"the web app imports {done.stdout.strip()}"
