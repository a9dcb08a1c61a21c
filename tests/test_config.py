import copy
from pathlib import Path

import pytest
import yaml

from benchmark.config import (ConfigError, load_config, merge_presets, read_preset, resolve_run, sampling_protocol,
                              validate_config)

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
    (lambda c: c["models"]["glf"].update(epoch=3), "models.glf.epoch"),
    (lambda c: c.pop("seeds"), "<top level>"),
])
def test_schema_errors_name_the_key(change, key):
    with pytest.raises(ConfigError, match=f"(at|unknown key) '{key}'"):
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


def test_merge_presets_merges_mappings_drops_nulls_and_replaces_the_rest():
    base = {"seeds": [0, 1, 2], "device": "auto", "datasets": {"mnist": {"epochs": 100, "crop": 28},
                                                             "fashion": {"epochs": 100, "lr_milestones": [50]}}}
    override = {"seeds": [0], "datasets": {"mnist": None, "fashion": {"epochs": 25, "lr_milestones": [13]}}}
    merged = merge_presets(base, override)
    assert merged == {"seeds": [0], "device": "auto", "datasets": {"fashion": {"epochs": 25, "lr_milestones": [13]}}}
    assert base["datasets"]["mnist"] == {"epochs": 100, "crop": 28} and override["datasets"]["mnist"] is None


def _preset_files(tmp_path, derived: dict, base: dict | None = None) -> Path:
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(MINIMAL if base is None else base))
    (tmp_path / "derived.yaml").write_text(yaml.safe_dump(derived))
    return tmp_path / "derived.yaml"


def test_a_preset_with_a_base_is_laid_over_it_before_validation(tmp_path):
    derived = _preset_files(tmp_path, {"base": "base.yaml", "preset": "d", "seeds": [3],
                                       "datasets": {"fashion": {"epochs": 2, "lr_milestones": None}}})
    config = load_config(derived)
    assert config["preset"] == "d" and config["seeds"] == [3] and "base" not in config
    assert config["datasets"]["fashion"] == {**MINIMAL["datasets"]["fashion"], "epochs": 2, "lr_milestones": [],
                                             "max_train_images": None, "crop": 160, "params": {}}
    assert config["models"] == validate_config(copy.deepcopy(MINIMAL))["models"]
    with pytest.raises(ConfigError, match=f"{derived}: invalid value at 'datasets.fashion.epochs'"):
        load_config(_preset_files(tmp_path, {"base": "base.yaml", "datasets": {"fashion": {"epochs": -1}}}))


@pytest.mark.parametrize("base,problem", [
    (3, "invalid value at 'base': 3 is not of type 'string'.*e.g. base: paper.yaml"),
    ("", "invalid value at 'base'.*e.g. base: paper.yaml"),
    ("missing.yaml", "'base' names .*missing.yaml, which does not exist; write the base preset's file name"),
    ("derived.yaml", "'base: derived.yaml' makes a cycle of bases.*remove the base key"),
])
def test_a_bad_base_is_refused_naming_the_file_and_the_fix(tmp_path, base, problem):
    derived = _preset_files(tmp_path, {"base": base, "preset": "d"})
    with pytest.raises(ConfigError, match=f"^{derived}: {problem}"):
        load_config(derived)


def test_a_cycle_through_two_presets_is_refused(tmp_path):
    derived = _preset_files(tmp_path, {"base": "base.yaml"}, base={**MINIMAL, "base": "derived.yaml"})
    with pytest.raises(ConfigError, match=r"base.yaml: 'base: derived.yaml' makes a cycle of bases \(.*derived.yaml -> "
                                          r".*base.yaml -> .*derived.yaml\)"):
        load_config(derived)


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
    assert resolve_run(config, "vae_flow_prior", "fashion", 0).spec.params == {"beta": 1}  # Table 1: default setting
    assert resolve_run(config, "vae_flow_prior_beta400", "fashion", 0).spec.params == {"beta": 400}  # Figure 3
    assert resolve_run(config, "glf", "celeba", 0).crop == 160  # compare_gan's, as the paper says
    with pytest.raises(ConfigError, match="unknown model 'glow'"):
        resolve_run(config, "glow", "mnist", 0)


def test_unknown_model_param_fails_naming_it_and_the_accepted_ones():
    config = _with(lambda c: c["models"].update(vae={"method": "vae", "params": {"betta": 400}}))
    with pytest.raises(ConfigError, match=r"unknown param 'models.vae.params.betta'; accepted params: "
                                          r"\['batchnorm_init', 'beta', 'decoder_output', 'learn_variance'\]"):
        validate_config(config)


@pytest.mark.parametrize("params, key", [
    ({"beta": "one"}, "models.glf.params.beta"),
    ({"beta": True}, "models.glf.params.beta"),
    ({"flow_blocks": 2.5}, "models.glf.params.flow_blocks"),
    ({"flow_subnets": "shared"}, "models.glf.params.flow_subnets"),
])
def test_mistyped_model_param_fails_naming_its_key(params, key):
    with pytest.raises(ConfigError, match=f"invalid value .* at '{key}': expected"):
        validate_config(_with(lambda c: c["models"]["glf"].update(params=params)))


def test_per_dataset_params_are_checked_and_unknown_datasets_named():
    bad = _with(lambda c: c["models"]["glf"].update(per_dataset={"fashion": {"params": {"bta": 1}}}))
    with pytest.raises(ConfigError, match="models.glf.per_dataset.fashion.params.bta"):
        validate_config(bad)
    bad = _with(lambda c: c["models"]["glf"].update(lr_schedule={"mnist": [[3, 0.5]]}))
    with pytest.raises(ConfigError, match="'models.glf.lr_schedule' names dataset 'mnist'"):
        validate_config(bad)


def test_declared_defaults_reach_the_model_and_unset_params_read_them():
    from models import build_model
    model = build_model("vae_flow_prior", resolve_run(validate_config(_with(
        lambda c: c["models"].update(prior={"method": "vae_flow_prior"}))), "prior", "fashion", 0).spec)
    assert model.likelihood.beta == 400.0 and model.spec.param("flow_subnets") == "separate"


def test_paper_protocol_settings_resolve_per_dataset():
    config = load_config(PRESETS / "paper.yaml")
    wae_mnist, wae_celeba = (resolve_run(config, "wae_gan", d, 0) for d in ("mnist", "celeba"))
    assert (wae_mnist.train.lr_milestones, wae_mnist.train.lr_factors) == ([30, 50], [0.5, 0.2])
    assert wae_celeba.train.lr == 3e-4
    assert wae_celeba.spec.params["adversary_lr"] == 1e-3 and wae_celeba.spec.params["adversary_width"] == 1024
    assert wae_celeba.spec.params["prior_std"] ** 2 == pytest.approx(2.0)
    assert "adversary_lr" not in wae_mnist.spec.params
    two = resolve_run(config, "two_stage_vae", "mnist", 0)
    assert (two.train.lr_milestones, two.train.lr_factors) == ([150, 300], [0.5, 0.5])
    assert (two.second_stage.lr_milestones, two.second_stage.lr_factors) == ([300, 600], [0.5, 0.5])
    assert resolve_run(config, "glf", "celeba", 0).crop == 160
    assert resolve_run(config, "vae", "mnist", 0).spec.params == {"beta": 1}
    assert resolve_run(config, "vae_flow_posterior", "mnist", 0).spec.params == {"beta": 1}
    for model in ("vae", "vae_flow_prior", "vae_flow_posterior"):  # train_vaeflow.py's StepLR(50, 0.5)
        celeba, mnist = (resolve_run(config, model, d, 0).train for d in ("celeba", "mnist"))
        assert (celeba.epochs, celeba.lr_milestones, celeba.lr_factors) == (80, [50], [0.5]), model
        assert (mnist.epochs, mnist.lr_milestones) == (200, [100]), model  # GLF's, scaled by epochs_factor
    assert resolve_run(config, "glf", "celeba", 0).train.lr_milestones == []  # 40 epochs: no decay


def test_paper_preset_samples_every_row_alike_and_searches_the_rae_penalty():
    config = load_config(PRESETS / "paper.yaml")
    assert config["evaluation"]["sampling"] == "eval"
    assert {sampling_protocol(config, model) for model in config["models"]} == {"eval"}
    assert len(config["models"]["rae_gmm"]["z_penalty_grid"]) >= 2
    for model in ("glf_perceptual", "glann"):
        params = config["models"][model]["params"]
        assert (params["perceptual_reduction"], params["perceptual_activation"], params["perceptual_input"]) == \
            ("sum", "authors", "authors")


def test_model_files_store_plain_spec_values_and_reload_with_declared_defaults(tmp_path):
    from dataclasses import asdict

    from benchmark.model_io import load_model, save_model
    from models import build_model
    from models.base import ModelSpec
    model = build_model("glf", ModelSpec(1, 28, latent_dim=4, flow_width=8, params={"beta": 2.0}))
    assert asdict(model.spec) == {"channels": 1, "image_size": 28, "latent_dim": 4, "flow_width": 8,
                                  "num_train": 0, "params": {"beta": 2.0}}
    save_model(tmp_path / "m.pt", model, "glf", {})
    loaded, _ = load_model(tmp_path / "m.pt")
    assert loaded.beta == 2.0 and loaded.spec.param("flow_blocks") == 4
    with pytest.raises(KeyError, match="not declared"):
        loaded.spec.param("betta")


def test_a_models_own_seeds_replace_the_presets_and_must_hold_its_first():
    from benchmark.config import model_seeds
    config = validate_config(_with(lambda c: c["models"]["glf"].update(seeds=[0, 1, 2])))
    assert model_seeds(config, "glf") == [0, 1, 2]
    assert model_seeds(validate_config(_with(lambda c: None)), "glf") == MINIMAL["seeds"]
    with pytest.raises(ConfigError, match=r"'models.glf.seeds' \[1, 2\] lacks the preset's first seed 0"):
        validate_config(_with(lambda c: c["models"]["glf"].update(seeds=[1, 2])))
    with pytest.raises(ConfigError, match="models.glf.seeds"):
        validate_config(_with(lambda c: c["models"]["glf"].update(seeds=[0, 0])))


@pytest.mark.parametrize("change,key,problem", [
    (lambda c: c["models"]["glf"].update(lr=float("nan")), "models.glf.lr", "nan is not a finite number"),
    (lambda c: c["models"]["glf"].update(lr=float("inf")), "models.glf.lr", "inf is not a finite number"),
    (lambda c: c["models"]["glf"].update(epochs_factor=float("inf")), "models.glf.epochs_factor", "not a finite"),
    (lambda c: c["models"]["glf"].update(epochs_factor=1e300), "models.glf.epochs_factor", "maximum"),
    (lambda c: c.update(seeds=[0, 0]), "seeds", "non-unique"),
    (lambda c: c["evaluation"].update(eval_samples=10 ** 9), "evaluation.eval_samples", "maximum"),
])
def test_non_finite_out_of_range_and_repeated_values_are_refused_by_key(change, key, problem):
    with pytest.raises(ConfigError, match=f"at '{key}': .*{problem}"):
        validate_config(_with(change))


@pytest.mark.parametrize("beta", [float("nan"), float("inf"), -1.0, 0])
@pytest.mark.parametrize("method", ["glf", "vae", "vae_flow_prior"])
def test_beta_must_be_a_positive_finite_number(method, beta):
    def change(config):
        config["models"]["glf"] = {"method": method, "params": {"beta": beta}}
    with pytest.raises(ConfigError, match=r"models\.glf\.params\.beta': expected a positive number"):
        validate_config(_with(change))
    validate_config(_with(lambda c: c["models"].update(glf={"method": method, "params": {"beta": 0.5}})))


def test_a_key_typo_names_the_file_the_key_and_the_nearest_valid_key(tmp_path):
    preset = read_preset(Path(__file__).resolve().parent.parent / "workflow/config/smoke.yaml")
    preset["evaluation"]["num_sample"] = preset["evaluation"].pop("num_samples")
    preset["seedz"] = preset.pop("seeds")
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(preset))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"{path}: unknown key 'seedz' (did you mean 'seeds'?)"  # no schema description


def test_numbers_given_as_text_on_the_command_line_are_numbers():
    from benchmark.config import command_line_numbers
    config = command_line_numbers({"seeds": ["0"], "evaluation": {"prd_runs": "2", "eval_samples": "x"},
                                   "preset": "2", "device": "cpu"})
    assert config["evaluation"]["prd_runs"] == 2 and config["evaluation"]["eval_samples"] == "x"
    assert config["preset"] == "2" and config["device"] == "cpu"  # text settings stay text
