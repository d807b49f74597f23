"""Issue 17, model loading: any error while loading a run is the 503 page with its reason (never a crash), an
unready app serves a good run as soon as one is there, and a dangling `current` says so."""
from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from anime_recommender.artifacts import MANIFEST, sha256_file
from anime_recommender.config import load_config
from anime_recommender.web import create_app


def copy_run(tiny_artifacts: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the tiny artifacts dir: (artifacts dir, the current run's dir)."""
    artifacts = tmp_path / "artifacts"
    shutil.copytree(tiny_artifacts, artifacts, symlinks=True)
    return artifacts, (artifacts / "current").resolve()


def rewrite(run: Path, name: str, content: bytes) -> None:
    """Replace one file of a published run and re-sign it in the manifest, as a buggy publisher would."""
    (run / name).write_bytes(content)
    manifest = json.loads((run / MANIFEST).read_text())
    manifest["files"][name] = {"sha256": sha256_file(run / name), "bytes": len(content)}
    (run / MANIFEST).write_text(json.dumps(manifest))


def npy(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, array, allow_pickle=False)
    return out.getvalue()


def app_on(artifacts: Path, recheck_s: float = 30.0):
    cfg = load_config(env={}).replace("serving", model_recheck_s=recheck_s)
    return create_app(cfg, {"ARTIFACTS_DIR": str(artifacts), "TESTING": True})


def arrays_of(run: Path) -> list[str]:
    return sorted(p.name for p in run.glob("*.npy"))


def fuzzed(run: Path) -> list[tuple[str, bytes]]:
    """Broken versions of the run's arrays: empty, a header only, cut in half, 2-D, the wrong dtype, text."""
    cases = []
    for name in arrays_of(run)[:4]:
        good = np.load(run / name, allow_pickle=False)
        raw = (run / name).read_bytes()
        cases += [(name, b""), (name, raw[:128]), (name, raw[:len(raw) // 2]), (name, b"not an array"),
                  (name, npy(np.stack([good, good]))), (name, npy(np.asarray(["x"] * max(len(good), 1))))]
    return cases


def test_every_fuzzed_array_is_a_503_with_its_reason_never_a_crash(tiny_artifacts, tmp_path):
    artifacts, run = copy_run(tiny_artifacts, tmp_path)
    served = 0
    for index, (name, content) in enumerate(fuzzed(run)):
        original = (run / name).read_bytes()
        rewrite(run, name, content)
        client = app_on(artifacts).test_client()  # must not raise, whatever the file holds
        ready = client.get("/readyz")
        if ready.status_code == 200:  # some damage is harmless (an unused column); it must then serve
            served += client.get("/user/10").status_code == 200
        else:
            body = ready.get_json()
            assert ready.status_code == 503 and body["reason"].startswith("The published model "), (index, name, body)
            page = client.get("/user/10")
            assert page.status_code == 503 and body["reason"].split(" (")[0] in page.get_data(as_text=True)
        rewrite(run, name, original)
    assert len(fuzzed(run)) >= 12


@pytest.mark.parametrize(("damage", "reason"), [
    ("empty", "The published model could not be read (EOFError)"),
    ("2-D", "The published model failed its integrity check (inconsistent run: anime rows differ), so it is not "
            "served")])
def test_the_audits_two_cases_are_a_503_naming_the_error(tiny_artifacts, tmp_path, damage, reason):
    artifacts, run = copy_run(tiny_artifacts, tmp_path)
    ids = np.load(run / "anime_ids.npy")
    rewrite(run, "anime_ids.npy", b"" if damage == "empty" else npy(np.stack([ids, ids])))
    ready = app_on(artifacts).test_client().get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["reason"] == reason


def test_a_repaired_run_is_served_without_a_restart(tiny_artifacts, tmp_path):
    artifacts, run = copy_run(tiny_artifacts, tmp_path)
    good = (run / "anime_ids.npy").read_bytes()
    rewrite(run, "anime_ids.npy", b"")
    client = app_on(artifacts, recheck_s=0).test_client()
    assert client.get("/readyz").status_code == 503
    rewrite(run, "anime_ids.npy", good)
    assert client.get("/readyz").status_code == 200 and client.get("/user/10").status_code == 200


def test_a_run_published_later_is_served_by_an_app_started_without_one(tiny_artifacts, tmp_path):
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    client = app_on(artifacts, recheck_s=0).test_client()
    assert client.get("/readyz").status_code == 503
    shutil.copytree(tiny_artifacts, artifacts, symlinks=True, dirs_exist_ok=True)
    assert client.get("/readyz").status_code == 200


def test_re_checks_wait_for_their_interval(tiny_artifacts, tmp_path):
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    client = app_on(artifacts, recheck_s=3600).test_client()
    shutil.copytree(tiny_artifacts, artifacts, symlinks=True, dirs_exist_ok=True)
    assert client.get("/readyz").status_code == 503  # the next check is an hour away


def test_a_dangling_current_says_so(tiny_artifacts, tmp_path):
    artifacts, run = copy_run(tiny_artifacts, tmp_path)
    shutil.rmtree(run)
    body = app_on(artifacts).test_client().get("/readyz").get_json()
    assert "points at a run that is not there" in body["reason"]
    assert "no trained model has been published" not in body["reason"].lower() and "make train" not in body["hint"]
