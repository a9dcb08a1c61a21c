"""The results store: the one module that reads run files, one status rule, named errors."""
import ast
import json
from pathlib import Path

import pandas as pd
import pytest

from benchmark import claims, figures, paths, results, tables
from benchmark.config import validate_config
from benchmark.results import ResultsFileError

ROOT = Path(__file__).resolve().parent.parent
READERS = ("benchmark/tables.py", "benchmark/figures.py", "benchmark/claims.py", "benchmark/claim_statistics.py")
# calls that open or read a file (the montage opening its sample PNGs is drawing, not reading results)
FILE_READS = {"open", "read_text", "read_bytes", "read_csv", "read_json", "load", "loads", "exists", "glob"}
RUN_FILE_PATHS = {"metrics", "train_log", "run_dir"}


def _calls(path: str) -> list[tuple[str, str]]:
    """(receiver, attribute-or-name) of every call in the module ``path``."""
    found = []
    for node in ast.walk(ast.parse((ROOT / path).read_text())):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                receiver = func.value.id if isinstance(func.value, ast.Name) else ""
                found.append((receiver, func.attr))
            elif isinstance(func, ast.Name):
                found.append(("", func.id))
    return found


@pytest.mark.parametrize("module", READERS)
def test_tables_figures_and_claims_open_no_run_file_themselves(module):
    calls = _calls(module)
    reads = [c for c in calls if c[1] in FILE_READS and c not in {("Image", "open"), ("image", "exists")}]
    assert reads == [], f"{module} reads files itself: {reads}; read them through benchmark.results"
    assert not [c for c in calls if c[0] == "paths" and c[1] in RUN_FILE_PATHS], \
        f"{module} builds run-file paths; take a Results instead"
    imported = {alias.name for node in ast.walk(ast.parse((ROOT / module).read_text()))
                if isinstance(node, ast.Import) for alias in node.names}
    assert not imported & {"json", "csv"}, f"{module} imports a file format reader"


@pytest.fixture
def config(tmp_path):
    return validate_config({
        "preset": "unit", "data_root": ".", "seeds": [0], "runs_dir": str(tmp_path / "runs"),
        "results_dir": str(tmp_path / "results"),
        "datasets": {"fashion": {"latent_dim": 20, "flow_width": 64, "epochs": 4}},
        "models": {"glf": {"method": "glf", "label": "GLF"}, "vae": {"method": "vae", "label": "VAE"},
                   "reg": {"method": "regularized_glf", "label": "Reg GLF"}},
        "table1": {"models": ["vae", "glf", "reg"]},
        "evaluation": {"features": "classifier", "num_samples": 500},
        "figures": {"figure4": {"dataset": "fashion", "models": ["reg"]}},
    })


def _write(config, model, metrics=None, status=None, log=None):
    run_dir = paths.run_dir(config, "fashion", model, 0)
    run_dir.mkdir(parents=True, exist_ok=True)
    if metrics is not None:
        paths.metrics(config, "fashion", model, 0).write_text(json.dumps(metrics))
    if status is not None:
        (run_dir / "train_status.json").write_text(json.dumps(status))
    if log is not None:
        pd.DataFrame(log).to_csv(run_dir / "train_log.csv", index=False)


def test_a_metrics_file_and_a_status_file_that_disagree_read_the_same_everywhere(config, tmp_path):
    # the metrics file (written before a rerun) says completed; the training now says diverged at 2
    _write(config, "reg", metrics={"status": "completed", "fid": 12.0, "prd_f8": 0.9, "prd_f1_8": 0.9},
           status={"status": "diverged", "epochs_done": 1, "diverged_at_epoch": 2},
           log={"epoch": [1], "loss": [1.0], "fid": [30.0], "recon": [1.0], "nll": [5.0]})
    _write(config, "glf", metrics={"status": "completed", "fid": 20.0, "prd_f8": 0.8, "prd_f1_8": 0.8})
    _write(config, "vae", metrics={"status": "completed", "fid": 40.0, "prd_f8": 0.5, "prd_f1_8": 0.5})
    found = results.load(config)
    (run,) = found.of("reg", "fashion")
    assert run.status == results.DIVERGED and not run.finished and run.diverged_at_epoch == 2
    out = tmp_path / "results"
    tables.table1(found, out)
    shown = pd.read_csv(out / "table1.csv").set_index("model")
    assert shown.loc["reg", "status"] == "diverged" and pd.isna(shown.loc["reg", "fid_mean"])
    assert found.curves("reg", "fashion")[1] == 2  # figure 4 marks it diverged at epoch 2
    texts = [t.get_text() for t in figures._draw_curves(config, "figure4", {"reg": found.curves("reg", "fashion")},
                                                         width=7.0).legends[0].get_texts()]
    assert "x: diverged" in texts
    table = claims.check_claims(found)
    evidence = " ".join(table[table.claim == "5"].evidence)
    assert "Reg GLF: diverged" in evidence and "12.0" not in evidence  # the stale FID is no number of it


def test_a_run_that_diverged_before_logging_is_marked_at_its_epoch(config):
    _write(config, "reg", metrics={"status": "diverged"},
           status={"status": "diverged", "epochs_done": 0, "diverged_at_epoch": 1}, log={"epoch": []})
    found = results.load(config)
    assert found.curves("reg", "fashion") == (None, 1)
    fig = figures._draw_curves(config, "figure4", {"reg": found.curves("reg", "fashion")}, width=7.0)
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "Reg GLF: diverged at epoch 1" in texts and "x: diverged" in texts
    assert all("no value" not in ax.get_title(loc="left") for ax in fig.axes)


@pytest.mark.parametrize("name,body", [("metrics", ""), ("metrics", "{not json"), ("status", ""),
                                       ("log", ""), ("log", "loss,seconds\n1,2\n"), ("selection", "[1, 2]")])
def test_an_unreadable_file_is_named_with_its_redo_recipe(config, name, body):
    run_dir = paths.run_dir(config, "fashion", "glf", 0)
    run_dir.mkdir(parents=True)
    target = {"metrics": paths.metrics(config, "fashion", "glf", 0), "status": run_dir / "train_status.json",
              "log": run_dir / "train_log.csv", "selection": run_dir / "selection.json"}[name]
    if name == "selection":
        (run_dir / "train_status.json").write_text(json.dumps({"status": "completed"}))
    target.write_text(body)
    with pytest.raises(ResultsFileError) as err:
        results.load(config)
    assert str(target) in str(err.value) and "--forcerun" in str(err.value)


def test_a_zero_byte_metrics_file_is_named_by_the_tables_command(config, tmp_path, capsys):
    from benchmark.commands import tables as tables_command
    _write(config, "glf", metrics={"status": "completed", "fid": 1.0})
    broken = paths.metrics(config, "fashion", "glf", 0)
    broken.write_text("")
    preset = tmp_path / "preset.yaml"
    preset.write_text(json.dumps(config))
    assert tables_command.main(["--config", str(preset), "table1"]) == 2
    assert f"{broken} is unreadable (empty file)" in capsys.readouterr().err


def test_summary_spread_is_unknown_for_one_seed_and_counts_diverged():
    one = results.Summary("GLF", [21.0])
    assert one.n == 1 and one.mean == 21.0 and pd.isna(one.std) and one.describe() == "GLF: 21.00 (1 seed)"
    two = results.Summary("GLF", [20.0, 22.0], diverged=1)
    assert two.std == pytest.approx(2 ** 0.5) and two.describe() == "GLF: 21.00 ± 1.41 (2 seeds, 1 diverged)"
    assert results.Summary("GLF", [], diverged=2).status == "diverged"


def test_training_warnings_flag_an_unsettled_gamma_and_a_collapsed_second_stage():
    def log(gamma, recon):
        return pd.DataFrame({"epoch": [1, 2], "recon": [50.0, recon], "gamma_x": [0.9, gamma]})

    # 784 values per image, squared error 7.84 per image: the fit supports gamma = sqrt(0.01) = 0.1
    assert results.training_warnings(log(0.105, 7.84), None, 784) == []
    (unsettled,) = results.training_warnings(log(0.55, 7.84), None, 784)
    assert unsettled == "gamma_x not settled (0.550 after 2 epochs, its reconstruction error supports 0.100)"
    collapsed = pd.DataFrame({"epoch": [1, 2], "kl": [3.0, 0.07], "gamma_z": [1.0, 0.99]})
    trained = collapsed.assign(kl=[3.0, 2.5])
    assert results.training_warnings(None, collapsed, 784) == ["stage 2 collapsed (KL 0.070 nats < 0.1)"]
    assert results.training_warnings(None, trained, 784) == []
    assert results.training_warnings(pd.DataFrame({"epoch": [1], "recon": [7.84]}), None, 784) == []  # no gamma


def test_results_warnings_name_the_seed_and_use_the_datasets_image_size(config):
    _write(config, "vae", metrics={"status": "completed", "fid": 50.0}, status={"status": "completed"},
           log={"epoch": [1], "recon": [7.84], "gamma_x": [0.2]})
    run_dir = paths.run_dir(config, "fashion", "vae", 0)
    pd.DataFrame({"epoch": [1], "kl": [0.01]}).to_csv(run_dir / "stage2_log.csv", index=False)
    assert results.load(config).warnings("vae", "fashion") == [
        "seed 0: gamma_x not settled (0.200 after 1 epochs, its reconstruction error supports 0.100)",
        "seed 0: stage 2 collapsed (KL 0.010 nats < 0.1)"]
