"""The validation presets: the paper's settings on full Fashion-MNIST except the epochs, and a
plan for results/claims.md on a CPU machine."""
import subprocess
import sys
from pathlib import Path

import pytest

from benchmark.config import load_config, model_seeds, resolve_run
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
def test_validation_claims_plan_on_cpu(name, target, runs):
    result = subprocess.run([sys.executable, "-m", "snakemake", "-n", target, "--configfile",
                             f"workflow/config/{name}.yaml"], cwd=REPO, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    stats = output[output.index("Job stats"):]
    counts = {p[0]: int(p[1]) for p in (line.split() for line in stats.splitlines()) if len(p) == 2 and p[1].isdigit()}
    assert counts["train"] == counts["sample"] == counts["evaluate"] == runs
    assert counts["claims"] == counts["classifier"] == counts["prepare_data"] == 1


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
