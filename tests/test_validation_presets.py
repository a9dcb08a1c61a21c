"""The validation presets: the paper's settings on full Fashion-MNIST except the epochs, and a
plan for results/claims.md on a CPU machine; the presets stated by their departures from paper.yaml
(base: paper.yaml): each resolves as its full copy did, and its header lists every departure."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from benchmark.config import load_config, merge_presets, model_seeds, resolve_run
from models import MODELS

REPO = Path(__file__).resolve().parent.parent
CONFIGS = REPO / "workflow" / "config"
EPOCH_KEYS = {"epochs", "lr_milestones"}
NEEDS_WEIGHTS = {"glf_perceptual", "glann"}  # VGG16 perceptual loss


@pytest.mark.parametrize("name", ["validation", "validation-quick"])
def test_validation_presets_keep_the_paper_settings_but_the_epochs(name):
    paper, preset = load_config(CONFIGS / "paper.yaml"), load_config(CONFIGS / f"{name}.yaml")
    assert preset["datasets"]["fashion"].get("max_train_images") is None
    assert preset["evaluation"]["num_samples"] == 10000 and preset["evaluation"]["features"] == "classifier"
    for key in ("classifier_epochs", "prd_runs", "eval_samples", "batch_size"):
        assert preset["evaluation"][key] == paper["evaluation"][key], key
    fashion = {k: v for k, v in preset["datasets"]["fashion"].items() if k not in EPOCH_KEYS}
    assert fashion == {k: v for k, v in paper["datasets"]["fashion"].items() if k not in EPOCH_KEYS}
    for model, entry in preset["models"].items():
        assert entry.get("z_penalty_grid") == paper["models"][model].get("z_penalty_grid"), model
        run, paper_run = (resolve_run(c, model, "fashion", 0) for c in (preset, paper))
        assert run.spec == paper_run.spec, model
        stages = [(run.train, paper_run.train)] + ([(run.second_stage, paper_run.second_stage)]
                                                   if run.second_stage else [])
        for ours, theirs in stages:
            assert (ours.batch_size, ours.lr, ours.lr_gamma) == (theirs.batch_size, theirs.lr, theirs.lr_gamma), model
            assert ours.epochs == theirs.epochs // 4, model  # the scale the preset states
            assert ours.lr_factors == theirs.lr_factors, model  # the same schedule, its epochs scaled
            assert len(ours.lr_milestones) == len(theirs.lr_milestones), model
            assert all(abs(m - t / 4) <= 1 for m, t in zip(ours.lr_milestones, theirs.lr_milestones)), model


def test_validation_runs_every_weight_free_table1_method_and_the_figure_models():
    paper, preset = load_config(CONFIGS / "paper.yaml"), load_config(CONFIGS / "validation.yaml")
    weight_free = [m for m in paper["table1"]["models"] if paper["models"][m]["method"] not in NEEDS_WEIGHTS]
    assert preset["table1"]["models"] == weight_free and preset["seeds"] == [0, 1, 2]
    for figure in ("figure3", "figure4"):
        assert preset["figures"][figure] == {**paper["figures"][figure], "dataset": "fashion"}
    quick = load_config(CONFIGS / "validation-quick.yaml")
    assert quick["seeds"] == [0]
    assert sorted(MODELS[m["method"]].__name__ for m in quick["models"].values()) == sorted(
        ["GLF", "RegularizedGLF", "VAE", "VAEFlowPrior", "RAEGMM", "WAEGAN"])


@pytest.mark.slow
@pytest.mark.parametrize("name,target,runs", [("validation", "results/validation/claims.md", 17 * 3),
                                              ("validation-quick", "results/validation-quick/claims.md", 6),
                                              ("validation-figures", "results/validation-figures/claims.md", 5 * 3)])
def test_validation_claims_plan_on_cpu(name, target, runs, tmp_path):
    """Planned as a redo on a fresh clone: an empty cache and no runs (a checkout that has prepared
    the data plans no prepare_data job), the claims forced (a committed claims.md is up to date)."""
    result = subprocess.run([sys.executable, "-m", "snakemake", "-n", target, f"--configfile=workflow/config/{name}.yaml",
                             "--forcerun", "claims", "--config", f"cache_dir={tmp_path / 'cache'}",
                             f"runs_dir={tmp_path / 'runs'}"],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    stats = output[output.index("Job stats"):]
    counts = {p[0]: int(p[1]) for p in (line.split() for line in stats.splitlines()) if len(p) == 2 and p[1].isdigit()}
    assert counts["train"] == counts["sample"] == counts["evaluate"] == runs
    assert counts["claims"] == counts["prepare_data"] == 1
    assert "classifier" not in counts  # the pinned classifier (workflow/weights/) is an input, never trained


def test_validation_gpu_keeps_the_paper_settings_at_a_tenth_of_the_epochs():
    paper, preset = load_config(CONFIGS / "paper.yaml"), load_config(CONFIGS / "validation-gpu.yaml")
    assert preset["seeds"] == [0, 1, 2] and preset["evaluation"]["sampling"] == "eval"
    assert preset["resources"]["gpu_slots"] == 8 and preset["data_root"] == ".gpu_data"
    assert set(preset["table1"]["models"]) == set(paper["table1"]["models"]) - NEEDS_WEIGHTS
    assert set(preset["models"]["rae_gmm"]["z_penalty_grid"]) < set(paper["models"]["rae_gmm"]["z_penalty_grid"])
    assert preset["figures"]["figure3"]["models"] == ["glf", "vae_flow_prior", "vae_flow_prior_beta400"]
    for model in preset["models"]:
        run, paper_run = (resolve_run(c, model, "fashion", 0) for c in (preset, paper))
        assert (run.spec.latent_dim, run.spec.flow_width) == (paper_run.spec.latent_dim, paper_run.spec.flow_width)
        assert run.spec.params == paper_run.spec.params, model  # beta 1 for the Table 1 rows, 400 for Figure 3's
        stages = [(run.train, paper_run.train)] + ([(run.second_stage, paper_run.second_stage)]
                                                   if run.second_stage else [])
        for ours, theirs in stages:
            assert (ours.batch_size, ours.lr, ours.lr_factors) == (theirs.batch_size, theirs.lr, theirs.lr_factors)
            assert ours.epochs == theirs.epochs // 10, model
            assert all(abs(m - t / 10) <= 1 for m, t in zip(ours.lr_milestones, theirs.lr_milestones)), model


DERIVED_PRESETS = ["smoke", "validation", "validation-cpu", "validation-gpu", "validation-quick"]
DEPARTURES_HEADER = re.compile(r"^# Departs from (\S+) in \(checked by tests/test_validation_presets.py\):$")
DEPARTURE_LINE = re.compile(r"^#   (?P<key>top level|[a-z0-9_]+)(?P<dropped> dropped)?: (?P<names>.+?),?$")


def _difference(base: dict, preset: dict) -> dict:
    """The smallest override that merge_presets lays over ``base`` to give ``preset``: the keys whose
    values differ (mappings compared key by key), null for the keys ``preset`` lacks."""
    out = {key: None for key in base if key not in preset}
    for key, value in preset.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            if _difference(base[key], value):
                out[key] = _difference(base[key], value)
        elif key not in base or value != base[key]:
            out[key] = value
    return out


def _departures(base: dict, preset: dict) -> set[str]:
    """Where the validated ``preset`` departs from the validated ``base``: a top-level key, or
    ``key.name`` for an entry of a mapping (``-key.name`` where ``preset`` drops it)."""
    found = set()
    for key, value in _difference(base, preset).items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            found |= {("-" if sub is None and name in base[key] else "") + f"{key}.{name}" for name, sub in value.items()}
        else:
            found.add(key)
    return found


def _declared_departures(path: Path) -> tuple[str, set[str]]:
    """The base a preset's header names and the departures its header lists, in _departures' form."""
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if DEPARTURES_HEADER.match(line))
    declared = set()
    for line in lines[start + 1:]:
        match = DEPARTURE_LINE.match(line)
        if match is None:
            break
        names = [name.strip() for name in match["names"].split(",") if name.strip()]
        if match["key"] == "top level":
            declared |= set(names)
        else:
            declared |= {("-" if match["dropped"] else "") + f"{match['key']}.{name}" for name in names}
    return DEPARTURES_HEADER.match(lines[start])[1], declared


@pytest.mark.parametrize("name", DERIVED_PRESETS)
def test_a_derived_preset_resolves_to_the_full_preset_it_replaced(name):
    """tests/fixtures/resolved_presets.json holds each preset as load_config resolved it when it was
    still a full copy of the paper's settings (before base: paper.yaml): stating only the departures
    changed no setting.  A preset changed on purpose updates its entry (json.dumps(load_config(path),
    indent=1, sort_keys=True, ensure_ascii=False))."""
    before = json.loads((REPO / "tests" / "fixtures" / "resolved_presets.json").read_text())[name]
    assert load_config(CONFIGS / f"{name}.yaml") == before


@pytest.mark.parametrize("name", DERIVED_PRESETS)
def test_a_derived_preset_header_lists_exactly_its_departures_from_its_base(name):
    base_name, declared = _declared_departures(CONFIGS / f"{name}.yaml")
    raw = yaml.safe_load((CONFIGS / f"{name}.yaml").read_text())
    assert raw["base"] == base_name
    assert declared == _departures(load_config(CONFIGS / base_name), load_config(CONFIGS / f"{name}.yaml"))


@pytest.mark.parametrize("name", DERIVED_PRESETS)
def test_a_derived_preset_states_only_what_it_changes(name):
    """No key restates its base's value, no null drops a key the base lacks."""
    raw = yaml.safe_load((CONFIGS / f"{name}.yaml").read_text())
    base = yaml.safe_load((CONFIGS / raw.pop("base")).read_text())
    assert _difference(base, merge_presets(base, raw)) == raw


def test_the_departure_check_sees_a_change_a_drop_and_a_restatement():
    paper = load_config(CONFIGS / "paper.yaml")
    changed = {**paper, "seeds": [0], "models": {k: v for k, v in paper["models"].items() if k != "glann"}}
    changed["evaluation"] = {**paper["evaluation"], "prd_runs": 2}
    assert _departures(paper, changed) == {"seeds", "-models.glann", "evaluation.prd_runs"}
    restating = {"evaluation": {"prd_runs": paper["evaluation"]["prd_runs"]}}
    assert _difference(paper, merge_presets(paper, restating)) == {}  # so the file's own keys differ from it


def test_validation_figures_draws_figures_3_and_4_under_validation_cpus_protocol():
    paper, cpu = load_config(CONFIGS / "paper.yaml"), load_config(CONFIGS / "validation-cpu.yaml")
    preset = load_config(CONFIGS / "validation-figures.yaml")
    assert all(model_seeds(preset, model) == [0, 1, 2] for model in preset["models"])
    assert (preset["evaluation"], preset["datasets"], preset["data_root"]) == (cpu["evaluation"], cpu["datasets"],
                                                                               cpu["data_root"])
    assert preset["cache_dir"] == cpu["cache_dir"]  # one classifier file scores both presets
    assert preset["evaluation"]["eval_every"] == 1 and preset["evaluation"]["sampling"] == "eval"
    assert preset["figures"]["figure3"]["models"] == ["glf", "vae_flow_prior", "vae_flow_prior_beta400",
                                                      "vae_flow_prior_learned"]
    assert set(preset["figures"]["figure3"]["models"]) <= set(paper["figures"]["figure3"]["models"])
    assert preset["figures"]["figure4"]["models"] == ["glf", "regularized_glf_beta1"]
    assert set(preset["figures"]["figure4"]["models"]) - {"glf"} <= set(paper["figures"]["figure4"]["models"])
    assert set(preset["table1"]["models"]) <= set(preset["models"]) and set(preset["table1"]["models"]) <= set(
        paper["table1"]["models"])
    for model in preset["models"]:
        run, paper_run = (resolve_run(c, model, "fashion", 0) for c in (preset, paper))
        assert run.spec == paper_run.spec, model  # the paper's betas, learned variance, latent size and flow
        assert (run.train.batch_size, run.train.lr, run.train.lr_factors) == (
            paper_run.train.batch_size, paper_run.train.lr, paper_run.train.lr_factors), model
        assert run.train.epochs == paper_run.train.epochs // 25 == (8 if model.startswith("vae") else 4), model
        assert run.train.lr_milestones == [m // 25 for m in paper_run.train.lr_milestones], model
