"""The check against the authors' code without their code: a small stand-in checkout written here
(the same file names and the lines the run-time patches expect, a tiny model without FrEIA), the
patcher, the IDX data layout torchvision reads, Welch's test and the report on known numbers, and
one end-to-end run of the command on the stand-in."""
from __future__ import annotations

import csv
import io
import math
import textwrap
from pathlib import Path

import pytest
import torch
import yaml
from torchvision.datasets import FashionMNIST

from benchmark.authors_code import (AUTHORS_DATASETS, AUTHORS_PATCHES, AuthorsRun, PatchError, apply_patches,
                                    parse_epoch_lines, prepare_checkout, subnet_constructor, train_authors,
                                    write_torchvision_layout)
from benchmark.authors_comparison import (MissingFreia, NotWritable, authors_run, check_expressible,
                                          comparison_config, require_freia, require_writable)
from benchmark.authors_report import csv_text, markdown_text, mean_sd, verdict, welch
from benchmark.commands import compare_authors
from benchmark.config import ConfigError, resolve_run
from benchmark.data import SPLITS, ImageSet
from benchmark.metrics.fid import sha256_file

# A stand-in for github.com/nalzok/flow-comparison (c25c1e1): the lines the patches change are
# written as in the authors' files; the model is tiny and needs no FrEIA.
STANDIN = {
    "train_glf.py": '''
        import argparse
        import os
        import torch
        from torch import nn
        from tqdm import tqdm
        from AE.convAE_infoGAN import ConvAE
        from utils.dataset import return_data
        from flow_standin import Flow

        if __name__ == "__main__":
            parser = argparse.ArgumentParser()
            parser.add_argument("--dataset", default="mnist", dest="dataset",
                choices=("mnist", "cifar", "celeba", "Fashion-mnist"),
            )
            parser.add_argument("--epochs", dest="num_epochs", type=int)
            for flag in ("dset_dir", "savedir", "loss_type", "device"):
                parser.add_argument(f"--{flag}")
            for flag in ("batch_size", "num_latent", "image_size", "fc_dim", "num_block", "num_workers"):
                parser.add_argument(f"--{flag}", type=int)
            parser.add_argument("--lr", type=float)
            parser.add_argument("--decay", type=float)
            args = parser.parse_args()

            use_gpu = torch.cuda.is_available()
            torch.manual_seed(123)
            torch.cuda.manual_seed(1)
            device = torch.device("cuda:{}".format(args.device) if use_gpu else "cpu")
            training_loader = return_data(args)

            def subnet_fc(c_in, c_out):
                return nn.Sequential(nn.Linear(c_in, args.fc_dim), nn.ReLU(), nn.Linear(args.fc_dim, c_out))

            modAE = ConvAE(args).to(device)
            modFlow = Flow(args.num_latent, subnet_fc).to(device)
            optimizer = torch.optim.Adam(list(modAE.parameters()) + list(modFlow.parameters()), lr=args.lr)
            for epoch in range(args.num_epochs):
                with tqdm(total=len(training_loader.dataset)) as progress_bar:
                    for dat, target in training_loader:
                        dat = dat.to(device)
                        recon_batch, z = modAE(dat)
                        zhat, logd = modFlow(z.data, jac=True)
                        loss_recon = (recon_batch - dat).pow(2).sum() / dat.shape[0]
                        loss_ll = (0.5 * zhat.pow(2).sum(1) - logd).mean()
                        optimizer.zero_grad()
                        (loss_recon + loss_ll).backward()
                        optimizer.step()
                print("Train Epoch: {} Reconstruction-Loss: {:.4f} loglikelihood loss: {}  log det: {}".format(
                    epoch, loss_recon.item(), loss_ll.item(), logd.mean().item()))
                if epoch % 50 == 0:
                    torch.save(modFlow.state_dict(), os.path.join(args.savedir, "flowModel_epo{}".format(epoch)))
                    torch.save(modAE.state_dict(), os.path.join(args.savedir, "AEModel_epo{}".format(epoch)))
    ''',
    "flow_standin.py": '''
        import torch
        from torch import nn

        class Flow(nn.Module):
            def __init__(self, dim, subnet_constructor):
                super().__init__()
                self.log_scale = nn.Parameter(torch.zeros(dim))
                self.shift = subnet_constructor(1, dim)

            def forward(self, x, rev=False, jac=True):
                shift = self.shift(torch.ones(len(x), 1, device=x.device))
                log_det = self.log_scale.sum().expand(len(x))
                if rev:
                    return (x - shift) * torch.exp(-self.log_scale), -log_det
                return x * torch.exp(self.log_scale) + shift, log_det
    ''',
    "AE/convAE_infoGAN.py": '''
        from torch import nn

        class ConvAE(nn.Module):
            def __init__(self, args):
                super().__init__()
                self.nc = 1 if args.dataset in ("mnist", "fashion-mnist") else 3
                self.size = args.image_size
                pixels = self.nc * self.size * self.size
                self.enc = nn.Sequential(nn.Flatten(), nn.Linear(pixels, args.num_latent))
                self.dec = nn.Sequential(nn.Linear(args.num_latent, pixels), nn.BatchNorm1d(pixels), nn.Tanh())

            def decode(self, z):
                return self.dec(z).view(-1, self.nc, self.size, self.size) * 0.5 + 0.5

            def forward(self, x):
                z = self.enc(x)
                return self.decode(z), z
    ''',
    "utils/dataset.py": '''
        import os
        from torch.utils.data import DataLoader
        from torchvision import datasets, transforms

        def return_data(args):
            training_data = datasets.FashionMNIST(root=os.path.join(args.dset_dir, "fmnist"), download=True,
                                                  transform=transforms.ToTensor())
            return DataLoader(training_data, batch_size=args.batch_size, shuffle=True,
                              num_workers=args.num_workers, drop_last=True)
    ''',
    "generate_sample.py": '''
        import os
        import torch
        from torch import nn
        from AE.convAE_infoGAN import ConvAE
        from flow_standin import Flow

        def load_check_point(args, subnet_fc, device):
            model_ae = ConvAE(args).to(device)
            model_flow = Flow(args.num_latent, subnet_fc).to(device)
            state_flow = torch.load(os.path.join(args.model_dir, "flowModel_epo100"), map_location=device)
            state_ae = torch.load(os.path.join(args.model_dir, "AEModel_epo100"), map_location=device)
            model_ae.load_state_dict(state_ae)
            model_flow.load_state_dict(state_flow)
            return model_ae, model_flow

        if __name__ == "__main__":
            def subnet_fc(c_in, c_out):
                return nn.Sequential(nn.Linear(c_in, args.fc_dim), nn.ReLU(), nn.Linear(args.fc_dim, c_out))
    ''',
}


def write_standin(root: Path, files: dict[str, str] = STANDIN) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text).lstrip())
    return root


def test_patches_apply_to_the_authors_lines(tmp_path):
    root = write_standin(tmp_path)
    apply_patches(root)
    train = (root / "train_glf.py").read_text()
    assert '"Fashion-mnist", "fashion-mnist"),' in train
    assert "if epoch % 50 == 0 or epoch == args.num_epochs - 1:" in train
    assert "device = torch.device(args.device)" in train and "use_gpu else" not in train
    assert "torch.manual_seed(args.seed)" in train and "torch.cuda.manual_seed(args.seed)" in train
    assert '"--seed"' in train and "disable=True" in train
    assert "download=False" in (root / "utils/dataset.py").read_text()
    assert '"flowModel_epo{}".format(args.epoch)' in (root / "generate_sample.py").read_text()
    assert [p.file for p in AUTHORS_PATCHES if p.defect] == ["train_glf.py"] * 3


def test_a_missing_line_is_a_named_error_and_nothing_is_written(tmp_path):
    root = write_standin(tmp_path, {**STANDIN, "generate_sample.py": STANDIN["generate_sample.py"].replace(
        '"AEModel_epo100"', '"AEModel_final"')})
    before = (root / "train_glf.py").read_text()
    with pytest.raises(PatchError, match=r'generate_sample.py: expected text .*AEModel_epo100.* not found'):
        apply_patches(root)
    assert (root / "train_glf.py").read_text() == before


def test_the_openreview_copy_is_named_for_its_older_freia_api(tmp_path):
    old_api = STANDIN["train_glf.py"].replace("zhat, logd = modFlow(z.data, jac=True)", "zhat = modFlow(z.data)")
    root = write_standin(tmp_path, {**STANDIN, "train_glf.py": old_api})
    with pytest.raises(PatchError, match=r"\(commit 99e8094\) uses an older FrEIA API"):
        apply_patches(root)


def test_idx_layout_reads_back_through_torchvision(tmp_path):
    images = torch.randint(0, 256, (5, 1, 28, 28), dtype=torch.uint8)
    labels = torch.tensor([3, 1, 4, 1, 5])
    write_torchvision_layout(tmp_path / "FashionMNIST" / "raw", {"train": (images, labels), "test": (images[:2], labels[:2])})
    data = FashionMNIST(root=str(tmp_path), train=True, download=False)
    assert torch.equal(data.data, images[:, 0]) and data.targets.tolist() == [3, 1, 4, 1, 5]
    assert len(FashionMNIST(root=str(tmp_path), train=False, download=False)) == 2


def test_subnet_is_compiled_from_the_scripts_own_definition():
    subnet = subnet_constructor(textwrap.dedent(STANDIN["generate_sample.py"]), fc_dim=7)(3, 2)
    assert [tuple(p.shape) for p in subnet.parameters()] == [(7, 3), (7,), (2, 7), (2,)]
    with pytest.raises(PatchError, match="subnet_fc 0 times"):
        subnet_constructor("x = 1\n", fc_dim=7)


def test_epoch_lines_are_parsed():
    line = "Train Epoch: 3 Reconstruction-Loss: 6.8600 loglikelihood loss: 31.38  log det: -5.25"
    assert parse_epoch_lines(f"noise\n{line}\n") == [{"epoch": 3, "recon": 6.86, "nll": 31.38, "log_det": -5.25}]


def test_welch_and_summary_on_known_numbers():
    authors, suite = [61.6, 58.3, 62.0], [77.6, 72.5, 68.1]
    t, p = welch(authors, suite)
    assert t == pytest.approx(4.0539, abs=1e-4) and p == pytest.approx(0.03278, abs=1e-5)
    assert welch(suite, authors)[0] == pytest.approx(-t)
    assert mean_sd(authors) == pytest.approx((60.6333, 2.0306), abs=1e-4)
    assert all(math.isnan(v) for v in welch([1.0], suite) + welch([2.0, 2.0], [3.0, 3.0]))
    rows = [{"side": side, "seed": seed, "status": "completed", "fid": fid, "kid": 0.02, "prd_f8": 0.9,
             "prd_f1_8": 0.8, "train_seconds": 400.0, "seconds_per_epoch": 100.0, "final_recon": 7.0, "final_nll": 31.0}
            for side, values in (("authors", authors), ("suite", suite)) for seed, fid in enumerate(values)]
    table = list(csv.DictReader(io.StringIO(csv_text(rows))))
    assert [(r["kind"], r["side"]) for r in table][-6:] == [("mean", "authors"), ("mean", "suite"), ("sd", "authors"),
                                                            ("sd", "suite"), ("welch_t", "suite-authors"),
                                                            ("welch_p", "suite-authors")]
    assert float(table[-2]["fid"]) == pytest.approx(t) and float(table[-5]["fid"]) == pytest.approx(72.7333, abs=1e-4)
    text = markdown_text(rows, {"device": "cpu"}, "FID (classifier)")
    assert "| authors' train_glf.py | 61.6 | 58.3 | 62.0 | 60.6 ± 2.0 |" in text
    assert "| FID (classifier) | 60.6 ± 2.0 | 72.7 ± 4.8 | 4.05 | 0.033 |" in text
    assert "**Verdict (FID (classifier)):** worse by 12.1 FID: suite 72.7 against the authors' 60.6" in text
    assert "builds a 3-channel one" in text and "- device: cpu" in text


def test_kid_is_printed_in_its_own_units():
    rows = [{"side": side, "seed": seed, "fid": 60.0 + seed, "kid": kid + seed / 100}
            for side, kid in (("authors", 33.874), ("suite", 0.01234)) for seed in (0, 1)]
    text = markdown_text(rows, {})
    assert "| KID | 33.88 ± 0.007071 | 0.01734 ± 0.007071 |" in text and "33884" not in text


@pytest.mark.parametrize("suite,expected", [
    ([77.6, 72.5, 68.1], "worse by 12.1 FID: suite 72.7 against the authors' 60.6 (seeds 58.3 to 62.0), Welch p = 0.033"),
    ([50.1, 49.0, 51.3], "better by 10.5 FID"),
    ([59.0, 62.5, 60.9], "within the authors' seed spread: suite 60.8"),
    ([55.0, 71.0, 64.0], "not enough evidence: the suite's mean lies outside the authors' seeds but the test does not "
                         "separate them: suite 63.3"),
    ([70.0], "not enough evidence: 3 authors' and 1 suite seeds with a FID"),
])
def test_the_verdict_says_what_the_seeds_allow(suite, expected):
    assert verdict([61.6, 58.3, 62.0], suite).startswith(expected)


def tiny_preset(tmp_path, **glf) -> Path:
    config = {
        "preset": "compare-test", "data_root": str(tmp_path), "cache_dir": str(tmp_path / "cache"),
        "runs_dir": str(tmp_path / "runs"), "device": "cpu", "progress": False, "seeds": [0],
        "datasets": {"fashion": {"latent_dim": 4, "flow_width": 8, "epochs": 2, "lr_milestones": [1]}},
        "models": {"glf": {"method": "glf", "batch_size": 16, "params": {"beta": 1}, **glf}},
        "table1": {"models": ["glf"]},
        "evaluation": {"features": "classifier", "num_samples": 32, "classifier_epochs": 1, "prd_runs": 1,
                       "batch_size": 16},
    }
    (tmp_path / "preset.yaml").write_text(yaml.safe_dump(config))
    return tmp_path / "preset.yaml"


def test_trial_overrides_reach_the_validated_preset(tmp_path):
    config = comparison_config(tiny_preset(tmp_path), "fashion", device="cpu", data_root="elsewhere",
                               max_images=100, num_samples=12)
    assert (config["device"], config["data_root"], config["progress"]) == ("cpu", "elsewhere", False)
    assert config["datasets"]["fashion"]["max_train_images"] == 100 and config["evaluation"]["num_samples"] == 12
    assert resolve_run(config, "glf", "fashion", 0).max_train_images == 100
    assert comparison_config(tiny_preset(tmp_path), "fashion")["datasets"]["fashion"]["max_train_images"] is None
    with pytest.raises(ConfigError, match="dataset 'mnist' is not in the preset"):
        comparison_config(tiny_preset(tmp_path), "mnist")



def test_a_preset_stated_by_its_departures_is_read_with_its_base(tmp_path):
    tiny_preset(tmp_path)
    (tmp_path / "derived.yaml").write_text(yaml.safe_dump({"base": "preset.yaml", "seeds": [4]}))
    config = comparison_config(tmp_path / "derived.yaml", "fashion", max_images=100)
    assert config["seeds"] == [4] and config["models"]["glf"]["batch_size"] == 16 and "base" not in config
    assert config["datasets"]["fashion"]["max_train_images"] == 100

def test_only_settings_their_script_takes_are_compared(tmp_path):
    config = comparison_config(tiny_preset(tmp_path), "fashion")
    assert check_expressible(config, "glf", resolve_run(config, "glf", "fashion", 0)) == 1
    config = comparison_config(tiny_preset(tmp_path, lr_milestones=[1, 3], epochs=4), "fashion")
    with pytest.raises(ConfigError, match=r"milestones \[1, 3\].*--decay"):
        check_expressible(config, "glf", resolve_run(config, "glf", "fashion", 0))
    config = comparison_config(tiny_preset(tmp_path, params={"beta": 10}), "fashion")
    with pytest.raises(ConfigError, match="beta 10"):
        check_expressible(config, "glf", resolve_run(config, "glf", "fashion", 0))
    config = comparison_config(tiny_preset(tmp_path, params={"flow_subnets": "joint"}), "fashion")
    with pytest.raises(ConfigError, match="flow_subnets 'joint'"):
        check_expressible(config, "glf", resolve_run(config, "glf", "fashion", 0))


@pytest.mark.slow
def test_compare_runs_end_to_end_on_a_standin(tmp_path, monkeypatch):
    def fake_fashion(name, split, data_root, cache_dir=None, crop=None, download=False):
        generator = torch.Generator().manual_seed(SPLITS.index(split))
        return ImageSet(torch.randint(0, 256, (64, 1, 28, 28), dtype=torch.uint8, generator=generator),
                        torch.randint(0, 10, (64,), generator=generator))

    monkeypatch.setattr("benchmark.runs.load_dataset", fake_fashion)
    monkeypatch.setattr("benchmark.commands.compare_authors.require_freia", lambda: None)
    monkeypatch.chdir(tmp_path)  # the preset's runs_dir is relative, as in the shipped presets
    preset = tiny_preset(tmp_path)
    preset.write_text(yaml.safe_dump({**yaml.safe_load(preset.read_text()), "runs_dir": "runs"}))
    preset = str(preset)
    checkout = write_standin(tmp_path / "authors")
    out = tmp_path / "out" / "authors_vs_suite"
    assert compare_authors.main(["--authors-code", str(checkout), "--config", preset, "--seeds", "0", "1",
                                 "--out", str(out)]) == 0
    table = list(csv.DictReader(open(out.with_suffix(".csv"))))
    seeds = [r for r in table if r["kind"] == "seed"]
    assert [(r["side"], r["seed"]) for r in seeds] == [("authors", "0"), ("suite", "0"), ("authors", "1"), ("suite", "1")]
    assert all(math.isfinite(float(r["fid"])) and r["status"] == "completed" for r in seeds)
    authors_log = (tmp_path / "runs" / "compare-authors" / "fashion" / "authors" / "seed0" / "train.log").read_text()
    assert len(parse_epoch_lines(authors_log)) == 2
    assert float(seeds[0]["final_recon"]) == parse_epoch_lines(authors_log)[-1]["recon"]
    assert seeds[0]["final_recon"] != seeds[2]["final_recon"]  # the seed reaches their training
    assert (checkout / "train_glf.py").read_text() == textwrap.dedent(STANDIN["train_glf.py"]).lstrip()
    report = out.with_suffix(".md").read_text()
    from benchmark import paths
    from benchmark.config import load_config
    assert paths.feature_weights(load_config(preset), "fashion").exists()  # the classifier it trained
    assert "not a git checkout" in report and "| authors' train_glf.py |" in report
    classifier = paths.feature_weights(load_config(preset), "fashion")
    assert f"({classifier}, sha256 {sha256_file(classifier)})" in report and "**Verdict (" in report
    assert f"- runs: {tmp_path / 'runs' / 'compare-authors' / 'fashion'}" in report


def test_their_script_saves_into_a_relative_run_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the folders below are relative to it, as the preset's runs_dir is
    config = comparison_config(tiny_preset(tmp_path), "fashion")
    code = prepare_checkout(write_standin(tmp_path / "authors"), tmp_path / "scratch")
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (32, 1, 28, 28), dtype=torch.uint8, generator=generator)
    labels = torch.randint(0, 10, (32,), generator=generator)
    write_torchvision_layout(Path("data") / AUTHORS_DATASETS["fashion"][1],
                             {"train": (images, labels), "test": (images[:8], labels[:8])})
    their_run = authors_run(config, "glf", resolve_run(config, "glf", "fashion", 0), torch.device("cpu"),
                            Path("data"), Path("runs/authors/seed0"))
    epochs = []
    record = train_authors(code, their_run, tmp_path / "train.log", on_epoch=epochs.append)
    saved = tmp_path / "runs" / "authors" / "seed0"
    assert {"AEModel_epo1", "flowModel_epo1", "done.json"} <= {p.name for p in saved.iterdir()}
    assert [row["epoch"] for row in epochs] == [0, 1] and record["epochs"] == epochs
    assert not (code / "runs").exists()
    relative = AuthorsRun({**their_run.arguments, "savedir": "runs/x"}, Path("runs/x"), 1)
    with pytest.raises(ValueError, match=r"--savedir 'runs/x' is a relative path: .* hand it an absolute path"):
        train_authors(code, relative, tmp_path / "x.log")


def test_a_folder_that_cannot_be_written_is_named_before_any_training(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(NotWritable, match=r"the runs folder .*file/runs cannot be written"):
        require_writable(tmp_path / "file" / "runs", "the runs folder")
    require_writable(tmp_path / "new" / "runs", "the runs folder")
    assert list((tmp_path / "new" / "runs").iterdir()) == []  # the probe is gone


def test_freia_that_does_not_import_is_named(monkeypatch):
    monkeypatch.setattr("benchmark.authors_comparison.freia_version", lambda: "0.2")
    monkeypatch.setattr("benchmark.authors_comparison.FREIA_IMPORT", "import no_such_module_here")
    with pytest.raises(MissingFreia, match=r"FrEIA 0.2 is installed but `import no_such_module_here` fails "
                                           r"\(ModuleNotFoundError: No module named 'no_such_module_here'\)"):
        require_freia()
