"""Protocol sensitivity: a preset's ``sensitivity`` block trains one variant run per value other
than the preset's own, with that value in the run's checkpoint identity and every other setting the
model's; evaluation-only switches train nothing; bad entries fail before any job."""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml

from benchmark import paths
from benchmark.commands import evaluate
from benchmark.config import ConfigError, load_config, resolve_run, validate_config
from benchmark.runs import run_identity
from benchmark.sensitivity import metrics_file, other_fid_variants, points, sensitivity_metrics, variant_runs
from benchmark.variants import variant_models, variant_name
from models import build_model

REPO = Path(__file__).resolve().parent.parent
CONFIGS = REPO / "workflow" / "config"
TINY = {
    "preset": "tiny", "data_root": "data", "cache_dir": "cache", "runs_dir": "runs", "results_dir": "results",
    "device": "cpu", "progress": False, "seeds": [0],
    "datasets": {"synthetic28": {"latent_dim": 4, "flow_width": 8, "epochs": 1, "max_train_images": 64}},
    "models": {"glf": {"method": "glf", "batch_size": 32, "label": "GLF"},
               "rae": {"method": "rae_gmm", "batch_size": 32, "z_penalty_grid": [0.1, 1.0]}},
    "table1": {"models": ["glf", "rae"]},
    "evaluation": {"features": "classifier", "num_samples": 100, "classifier_epochs": 1,
                   "classifier_max_images": 200, "prd_runs": 1, "batch_size": 100},
}
IMAGES = torch.zeros(4, 1, 28, 28, dtype=torch.uint8)


def tiny(*entries, features="classifier", **models) -> dict:
    """The tiny preset (raw, not validated) with ``entries`` as its sensitivity block."""
    config = copy.deepcopy(TINY)
    config["models"].update(models)
    config["evaluation"]["features"] = features
    config["sensitivity"] = list(entries)
    return config


def test_a_training_switch_makes_one_variant_run_per_other_value_with_it_in_the_identity():
    config = validate_config(tiny({"model": "glf", "switch": "flow_init_std", "values": [0.05, None, 0.1]}))
    names = ["glf@flow_init_std=null", "glf@flow_init_std=0.1"]
    assert list(variant_models(config)) == names
    assert variant_runs(config) == [(name, "synthetic28") for name in names]
    base = resolve_run(config, "glf", "synthetic28", 0)
    base_identity = run_identity(config, base, IMAGES)
    for name, value in zip(names, (None, 0.1)):
        run = resolve_run(config, name, "synthetic28", 0)
        identity = run_identity(config, run, IMAGES)
        assert identity["model"] == name and identity["spec"]["params"] == {"flow_init_std": value}
        assert build_model(run.method, run.spec).spec.param("flow_init_std") == value
        assert run.train == base.train and run.method == base.method and run.crop == base.crop
        others = lambda ident: {k: v for k, v in ident.items() if k not in ("model", "spec")}
        assert others(identity) == others(base_identity)
        assert {**identity["spec"], "params": {}} == {**base_identity["spec"], "params": {}}
    assert base_identity["spec"]["params"] == {} and base.spec.params == {}
    assert variant_models(config)["glf@flow_init_std=null"]["label"] == "GLF (flow_init_std=null)"


def test_the_variant_of_a_searched_model_searches_too():
    config = validate_config(tiny({"model": "rae", "switch": "gmm_components", "values": [3]}))
    assert paths.has_second_stage(config, "rae@gmm_components=3")
    assert variant_models(config)["rae@gmm_components=3"]["z_penalty_grid"] == [0.1, 1.0]
    assert resolve_run(config, "rae@gmm_components=3", "synthetic28", 0).spec.params == {"gmm_components": 3}


def test_evaluation_only_switches_make_no_runs():
    config = validate_config(tiny({"switch": "sampling", "values": ["authors", "eval"]},
                                  {"model": "glf", "switch": "fid_variant", "values": ["clean"]}, features="inception"))
    assert variant_models(config) == {} and variant_runs(config) == []
    found = points(config)
    assert {p.run for p in found} == {p.model for p in found} == {"glf", "rae"}
    sampling = [p for p in found if p.switch == "sampling"]
    assert [(p.model, p.value, p.preset, p.fid_key) for p in sampling] == [
        ("glf", "eval", True, "fid_eval"), ("glf", "authors", False, "fid_authors"),
        ("rae", "eval", True, "fid_eval"), ("rae", "authors", False, "fid_authors")]  # the preset's one sampler first
    assert {metrics_file(config, p, 0) for p in sampling} == {paths.metrics(config, "synthetic28", m, 0)
                                                               for m in ("glf", "rae")}
    clean = next(p for p in found if p.switch == "fid_variant" and not p.preset)
    assert metrics_file(config, clean, 0).name == "metrics-inception-clean.json" and clean.fid_key == "fid_eval"
    assert other_fid_variants(config) == ["clean"]


def test_points_list_the_presets_value_first_then_the_variants():
    config = validate_config(tiny({"model": "glf", "switch": "beta", "values": [10, 1]},
                                  {"model": "glf", "switch": "flow_subnets", "values": ["joint"]}))
    assert [(p.switch, p.value, p.run, p.preset) for p in points(config)] == [
        ("beta", 1.0, "glf", True), ("beta", 10, "glf@beta=10", False),
        ("flow_subnets", "separate", "glf", True), ("flow_subnets", "joint", "glf@flow_subnets=joint", False)]
    assert sensitivity_metrics(config) == [str(paths.metrics(config, "synthetic28", m, 0))
                                           for m in ("glf", "glf@beta=10", "glf@flow_subnets=joint")]


@pytest.mark.parametrize("value,name", [(0.05, "glf@flow_init_std=0.05"), (10, "glf@flow_init_std=10"),
                                        (10.0, "glf@flow_init_std=10"), (1e-5, "glf@flow_init_std=1e-05"),
                                        (None, "glf@flow_init_std=null"), (True, "glf@flow_init_std=true"),
                                        ("joint", "glf@flow_init_std=joint")])
def test_run_names_write_each_value_once_and_plainly(value, name):
    assert variant_name("glf", "flow_init_std", value) == name


@pytest.mark.parametrize("entries,models,message", [
    ([{"model": "glow", "switch": "beta", "values": [10]}], {}, "'sensitivity.0.model' names 'glow'"),
    ([{"model": "glf", "switch": "betta", "values": [10]}], {}, "'sensitivity.0.switch' 'betta' is neither a param"),
    ([{"model": "glf", "switch": "flow_subnets", "values": ["both"]}], {},
     "invalid value 'both' at 'sensitivity.0.values.flow_subnets': expected one of ['separate', 'joint']"),
    ([{"model": "glf", "switch": "beta", "values": [True]}], {}, "invalid value True at 'sensitivity.0.values.beta'"),
    ([{"switch": "beta", "values": [10]}], {}, "'sensitivity.0' needs a model"),
    ([{"switch": "fid_variant", "values": ["clean"]}], {}, "classifier features take only ['legacy']"),
    ([{"switch": "sampling", "values": ["train"]}], {}, "at 'sensitivity.0.values.0': 'train' is not one of"),
    ([{"model": "glf", "switch": "flow_subnets", "values": ["a/b"]}], {}, "at 'sensitivity.0.values.0'"),
    ([{"model": "glf", "switch": "flow_init_std", "values": [0.05]}], {}, "holds only the preset's own value 0.05"),
    ([{"model": "glf", "switch": "beta", "values": [10, 10.0]}], {}, "'sensitivity.0.values' lists 10 twice"),
    ([{"model": "glf", "switch": "beta", "values": [10]}, {"model": "glf", "switch": "beta", "values": [100]}], {},
     "'sensitivity.1' varies beta of glf again ('sensitivity.0' does)"),
    ([{"switch": "sampling", "values": ["authors", "eval"]}, {"model": "rae", "switch": "sampling", "values": ["authors"]}], {},
     "'sensitivity.1' varies sampling of rae again"),
    ([{"model": "glf", "switch": "beta", "values": [10], "datasets": ["celeba"]}], {},
     "'sensitivity.0.datasets' names 'celeba'"),
    ([{"model": "rae", "switch": "z_penalty", "values": [10]}], {}, "chooses from its z_penalty_grid"),
    ([{"model": "glf2", "switch": "beta", "values": [10]}],
     {"glf2": {"method": "glf", "per_dataset": {"synthetic28": {"params": {"beta": 2}}}}},
     "'models.glf2.per_dataset.synthetic28.params' sets"),
])
def test_bad_entries_fail_naming_the_entry(entries, models, message):
    with pytest.raises(ConfigError) as err:
        validate_config(tiny(*entries, **models))
    assert message in str(err.value)


def test_variant_names_are_no_model_names():
    with pytest.raises(ConfigError, match="invalid value at 'models'"):
        validate_config(tiny(**{"glf@beta=10": {"method": "glf"}}))
    with pytest.raises(ConfigError, match="unknown model 'glf@beta=100'.*variant runs of its sensitivity block: "
                                          r"\['glf@beta=10'\]"):
        resolve_run(validate_config(tiny({"model": "glf", "switch": "beta", "values": [10]})),
                    "glf@beta=100", "synthetic28", 0)


def test_evaluate_command_evaluates_under_the_fid_variant_asked(tmp_path, monkeypatch):
    (tmp_path / "preset.yaml").write_text(yaml.safe_dump(tiny(features="inception")))
    seen = []
    monkeypatch.setattr(evaluate, "write_reference", lambda config, dataset: seen.append(config) or "ok")
    assert evaluate.main(["--config", str(tmp_path / "preset.yaml"), "--fid-variant", "clean",
                          "reference", "--dataset", "synthetic28"]) == 0
    assert evaluate.main(["--config", str(tmp_path / "preset.yaml"), "reference", "--dataset", "synthetic28"]) == 0
    assert [c["evaluation"]["fid_variant"] for c in seen] == ["clean", "legacy"]
    assert paths.reference_stats(seen[0], "synthetic28").name == "synthetic28-test-inception-clean.npz"


def test_the_gpu_validation_reads_beta_400_from_figure_3s_model_and_every_models_sampling():
    config = load_config(CONFIGS / "validation-gpu.yaml")
    assert "vae_flow_prior@beta=400" not in variant_models(config)  # Figure 3's model, trained once
    beta = [p for p in points(config) if p.switch == "beta" and p.model == "vae_flow_prior"]
    assert [(p.value, p.run) for p in beta] == [(1, "vae_flow_prior"), (400, "vae_flow_prior_beta400")]
    row, large = (resolve_run(config, m, "fashion", 0) for m in ("vae_flow_prior", "vae_flow_prior_beta400"))
    assert large.spec.params == {**row.spec.params, "beta": 400} and large.train == row.train
    sampled = {p.model for p in points(config) if p.switch == "sampling"}
    assert sampled == set(config["table1"]["models"])
    assert variant_models(load_config(CONFIGS / "validation-cpu.yaml")) == {}  # the CPU preset trains no variant


def test_a_variant_equal_to_a_preset_model_reads_that_models_runs_on_its_seeds():
    base = tiny({"model": "glf", "switch": "beta", "values": [10]})
    base["seeds"] = [0, 1]
    base["models"]["glf_beta10"] = {"method": "glf", "batch_size": 32, "label": "GLF (beta=10)", "params": {"beta": 10},
                                    "seeds": [0]}
    config = validate_config(base)
    assert variant_models(config) == {}
    assert [p.run for p in points(config)] == ["glf", "glf_beta10"]
    assert sensitivity_metrics(config) == [str(paths.metrics(config, "synthetic28", "glf", s)) for s in (0, 1)] + [
        str(paths.metrics(config, "synthetic28", "glf_beta10", 0))]
    base["models"]["glf_beta10"]["batch_size"] = 64  # another setting: not the same run, a variant of its own
    assert list(variant_models(validate_config(base))) == ["glf@beta=10"]


def _job_counts(preset: Path, folder: Path) -> dict[str, int]:
    """The job counts of ``snakemake -n`` (every target) of ``preset`` in ``folder``."""
    result = subprocess.run([sys.executable, "-m", "snakemake", "-n", "-s", str(REPO / "Snakefile"), "--directory",
                             str(folder), "--configfile", str(preset)], cwd=folder, capture_output=True, text=True,
                            timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    stats = output[output.index("Job stats"):]
    return {p[0]: int(p[1]) for p in (line.split() for line in stats.splitlines()) if len(p) == 2 and p[1].isdigit()}


def _tiny_plan(folder: Path, *entries) -> dict[str, int]:
    preset = folder / "preset.yaml"
    raw = tiny(*entries, features="inception")
    raw["download"] = True  # the Inception weights would be fetched by their rule; none is run here
    preset.write_text(yaml.safe_dump(raw))
    return _job_counts(preset, folder)


def test_the_workflow_plans_variant_runs_and_nothing_for_the_sampling_protocol(tmp_path):
    base = _tiny_plan(tmp_path)
    table = {"sensitivity": 1, "total": 1}  # the table itself: the sampling rows come from existing metrics
    assert _tiny_plan(tmp_path, {"switch": "sampling", "values": ["authors", "eval"]}) == {
        job: count + table.get(job, 0) for job, count in base.items()} | {"sensitivity": 1}
    both = _tiny_plan(tmp_path, {"switch": "sampling", "values": ["authors", "eval"]},
                      {"model": "glf", "switch": "flow_init_std", "values": [None]},
                      {"model": "glf", "switch": "fid_variant", "values": ["clean"]})
    one_run = {"train": 1, "sample": 1, "evaluate": 1, "evaluate_clean": 1, "reference_stats_clean": 1,
               "sensitivity": 1, "total": 6}
    assert both == {job: count + one_run.get(job, 0) for job, count in base.items()} | {
        job: count for job, count in one_run.items() if job not in base}


def test_the_paper_preset_plans_its_sensitivity_runs():
    config = load_config(CONFIGS / "paper.yaml")
    counts = _job_counts(CONFIGS / "paper.yaml", REPO)
    seeds, table1 = len(config["seeds"]), len(config["table1"]["models"]) * len(config["table1"]["datasets"])
    # on every dataset: 2 activations, 1 reduction, 1 input range; beta 400 of VAE, VAE+flow prior (Figure
    # 3's model, planned on CIFAR-10 already) and VAE+flow posterior; GLF's sigmoid output and N(1, 0.02) init
    assert len(variant_runs(config)) == 9 * 4
    trained = set(paths.planned_runs(config)) | set(variant_runs(config))
    assert len(trained) == len(paths.planned_runs(config)) + 9 * 4 - 1
    assert counts["train"] == len(trained) * seeds
    assert counts["evaluate_clean"] == table1 * seeds and counts["reference_stats_clean"] == 4


def test_the_sensitivity_table_says_whether_each_value_reorders_the_claims_rows(tmp_path):
    """The gap under each value, not only the change's size: GLF's change under the authors'
    sampler (-11) is larger than its lead (5) but widens it (RAE+GMM moves too: 26 - 14 = 12), so
    nothing reorders; GLF at beta 10 (+7, GLF alone retrained) loses its lead: 30 - 32 = -2."""
    from benchmark import results
    from benchmark.sensitivity_table import sensitivity
    config = validate_config({**tiny({"switch": "sampling", "values": ["authors", "eval"]},
                                     {"model": "glf", "switch": "beta", "values": [10]}),
                              "runs_dir": str(tmp_path / "runs"), "results_dir": str(tmp_path / "results")})
    written = {("glf", 14.0, 25.0), ("rae", 26.0, 30.0), ("glf@beta=10", 22.0, 32.0)}
    for model, authors, evaluated in written:
        path = paths.metrics(config, "synthetic28", model, 0)
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps({"status": "completed", "fid": evaluated, "fid_authors": authors, "fid_eval": evaluated}))
    out = tmp_path / "results"
    sensitivity(results.load(config), out)
    table = pd.read_csv(out / "sensitivity.csv")
    assert table.fid_mean.dtype == float and table.change.dtype == float and table.claim_gap.dtype == float
    rows = {(r.model, r.switch, r.value): r for r in table.itertuples()}
    glf_authors = rows[("glf", "sampling", "authors")]
    assert (glf_authors.fid_mean, glf_authors.change, glf_authors.claim_gap) == (14.0, -11.0, 5.0)  # lead: 30 - 25
    assert (glf_authors.gap_at_value, glf_authors.reorders) == (12.0, False) and "GLF's lead over rae" in glf_authors.claim
    rae_authors = rows[("rae", "sampling", "authors")]
    assert (rae_authors.change, rae_authors.claim_gap, rae_authors.gap_at_value, rae_authors.reorders) == (-4.0, 5.0, 12.0, False)
    beta = rows[("glf", "beta", "10")]
    assert (beta.run, beta.change, beta.gap_at_value, beta.reorders) == ("glf@beta=10", 7.0, -2.0, True)
    assert rows[("glf", "beta", "1")].preset_value and pd.isna(rows[("glf", "beta", "1")].reorders)
    shown = (out / "sensitivity.md").read_text()
    assert "same order (gap +5.0 → +12.0)" in shown and "reorders (gap +5.0 → -2.0)" in shown and "1 (preset)" in shown
