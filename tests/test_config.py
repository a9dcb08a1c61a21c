import copy
from pathlib import Path

import pytest

from benchmark.config import ConfigError, load_config, resolve_run, validate_config

PRESETS = Path(__file__).resolve().parent.parent / "workflow" / "config"
MINIMAL = {
    "preset": "t", "data_root": ".", "seeds": [0],
    "datasets": {"fashion": {"latent_dim": 20, "flow_width": 64, "epochs": 4, "lr_milestones": [2]}},
    "models": {"glf": {"method": "glf"}},
    "table1": {"models": ["glf"]},
    "evaluation": {"features": "classifier", "num_samples": 10},
}


def _with(change):
    config = copy.deepcopy(MINIMAL)
    change(config)
    return config


@pytest.mark.parametrize("change,key", [
    (lambda c: c["datasets"]["fashion"].update(epochs=-1), "datasets.fashion.epochs"),
    (lambda c: c["models"]["glf"].update(batch_size=0), "models.glf.batch_size"),
    (lambda c: c["models"]["glf"].update(lr="fast"), "models.glf.lr"),
    (lambda c: c["evaluation"].update(features="vgg"), "evaluation.features"),
    (lambda c: c["models"]["glf"].update(epoch=3), "models.glf"),
    (lambda c: c.pop("seeds"), "<top level>"),
])
def test_schema_errors_name_the_key(change, key):
    with pytest.raises(ConfigError, match=f"at '{key}'"):
        validate_config(_with(change))


def test_unknown_method_dataset_and_references_are_named():
    with pytest.raises(ConfigError, match="unknown method 'glow' at 'models.glf.method'.*registered methods"):
        validate_config(_with(lambda c: c["models"]["glf"].update(method="glow")))
    with pytest.raises(ConfigError, match="unknown dataset 'datasets.svhn'"):
        validate_config(_with(lambda c: c["datasets"].update(svhn=c["datasets"]["fashion"])))
    with pytest.raises(ConfigError, match="'table1.models' names 'vae'"):
        validate_config(_with(lambda c: c["table1"].update(models=["glf", "vae"])))


def test_defaults_are_filled_and_missing_file_is_explained(tmp_path):
    config = validate_config(copy.deepcopy(MINIMAL))
    assert config["device"] == "auto" and config["download"] is False and config["cache_dir"] == "cache"
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("preset: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


@pytest.mark.parametrize("name", ["paper", "smoke"])
def test_shipped_presets_validate(name):
    assert load_config(PRESETS / f"{name}.yaml")["preset"] == name


def test_paper_settings_resolve_as_in_the_paper():
    config = load_config(PRESETS / "paper.yaml")
    glf = resolve_run(config, "glf", "cifar10", seed=1)
    assert (glf.train.epochs, glf.train.lr_milestones, glf.train.batch_size, glf.train.lr) == (200, [50, 100, 150], 256, 1e-3)
    assert (glf.spec.latent_dim, glf.spec.flow_width, glf.spec.channels, glf.spec.image_size) == (64, 256, 3, 32)
    assert glf.train.seed == 1 and glf.second_stage is None
    vae = resolve_run(config, "vae", "mnist", 0)
    assert (vae.train.epochs, vae.train.lr_milestones) == (200, [100])
    two = resolve_run(config, "two_stage_vae", "celeba", 0)
    assert (two.train.epochs, two.train.batch_size, two.train.lr) == (120, 100, 1e-4)
    assert two.second_stage.epochs == 300
    assert resolve_run(config, "vae_flow_prior", "fashion", 0).spec.params == {"beta": 400}
    assert resolve_run(config, "glf", "celeba", 0).crop == 140
    with pytest.raises(ConfigError, match="unknown model 'glow'"):
        resolve_run(config, "glow", "mnist", 0)
