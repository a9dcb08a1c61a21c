"""Provenance: real git, versions, preset hash and data checksums, in every metrics file."""
import hashlib
import json
import subprocess
from pathlib import Path

import torch

from benchmark import paths, provenance, run_metrics
from benchmark.config import load_config

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


def _smoke(tmp_path):
    config = load_config(REPO / "workflow" / "config" / "smoke.yaml")
    return {**config, "data_root": str(SHARED_DATA), "cache_dir": str(tmp_path / "cache"),
            "runs_dir": str(tmp_path / "runs")}


def test_provenance_records_commit_versions_preset_hash_and_checksums(tmp_path):
    config = _smoke(tmp_path)
    weights = paths.feature_weights(config, "fashion")
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"weights")
    record = provenance.provenance(config)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    assert record["git"]["commit"] == head and isinstance(record["git"]["dirty"], bool)
    assert record["versions"]["torch"] == torch.__version__
    assert set(provenance.PACKAGES) <= set(record["versions"]) and "python" in record["versions"]
    assert record["preset"] == {"name": "smoke", "sha256": provenance.preset_hash(config)}
    expected_md5 = dict(line.split()[::-1] for line in (SHARED_DATA / "MD5SUMS").read_text().splitlines())
    fashion = record["data"]["fashion"]
    assert len(fashion) == 4
    for path, md5 in fashion.items():
        assert expected_md5[str(Path(path).relative_to(SHARED_DATA))] == md5
    assert record["feature_weights_sha256"]["fashion"] == hashlib.sha256(b"weights").hexdigest()
    assert record["device"]


def test_preset_hash_changes_with_any_setting(tmp_path):
    config = _smoke(tmp_path)
    changed = {**config, "seeds": [0, 1, 2]}
    assert provenance.preset_hash(config) == provenance.preset_hash(dict(config))
    assert provenance.preset_hash(config) != provenance.preset_hash(changed)


def test_a_metrics_file_carries_the_provenance(tmp_path):
    config = _smoke(tmp_path)
    samples = tmp_path / "samples.pt"
    torch.save({"status": "diverged"}, samples)
    out = tmp_path / "metrics.json"
    run_metrics.evaluate_file(config, "fashion", "glf", samples, out)
    record = json.loads(out.read_text())["provenance"]
    assert record["preset"]["sha256"] == provenance.preset_hash(config)
    assert list(record["data"]) == ["fashion"] and record["feature_weights_sha256"]["fashion"] == "missing"
