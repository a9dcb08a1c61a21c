"""``python -m benchmark.figures``: Figures 3 and 4 (losses and FID over epochs) and the
sample-grid montages, as PNG and PDF."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from PIL import Image  # noqa: E402

from benchmark import paths  # noqa: E402
from benchmark.atomic import atomic_path  # noqa: E402
from benchmark.cli import reports_errors
from benchmark.config import load_config  # noqa: E402
from benchmark.joblog import announce

PANELS = {
    "figure3": [("fid", "FID"), ("entropy_loss", "entropy loss -sum(log sigma)"), ("nll", "NLL of the latents")],
    "figure4": [("fid", "FID"), ("recon", "reconstruction loss"), ("nll", "NLL of the latents")],
}
TITLES = {"figure3": "GLF vs VAE+flow prior", "figure4": "Regularized GLF (no stop-gradient)"}


def save_figure(fig: plt.Figure, stem: Path) -> list[Path]:
    """Save ``fig`` as ``stem.png`` and ``stem.pdf`` atomically and close it."""
    outputs = []
    for fmt in paths.FIGURE_FORMATS:
        target = stem.with_suffix(f".{fmt}")
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format=fmt, dpi=150, bbox_inches="tight")
        outputs.append(target)
    plt.close(fig)
    return outputs


def _run_curves(config: dict, dataset: str, model: str) -> tuple[pd.DataFrame | None, int | None]:
    """Seed-averaged per-epoch log of a model, and the epoch of divergence of any seed."""
    logs, diverged = [], None
    for seed in config["seeds"]:
        log = paths.train_log(config, dataset, model, seed)
        if log.exists() and log.stat().st_size > 0:
            frame = pd.read_csv(log)
            if not frame.empty:
                logs.append(frame)
        status = log.with_name("train_status.json")
        if status.exists():
            diverged = json.loads(status.read_text()).get("diverged_at_epoch") or diverged
    if not logs:
        return None, diverged
    return pd.concat(logs).groupby("epoch", as_index=False).mean(numeric_only=True), diverged


def training_curves(config: dict, name: str, out: Path) -> list[Path]:
    """Figure 3 or 4: one panel per logged quantity, one line per model; a diverged run is drawn
    up to its divergence and marked with an x there."""
    spec = config["figures"][name]
    panels = PANELS[name]
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.8))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for number, model in enumerate(spec["models"]):
        curves, diverged = _run_curves(config, spec["dataset"], model)
        label = config["models"][model].get("label", model)
        colour = colours[number % len(colours)]  # one colour per model in every panel
        for ax, (column, _) in zip(axes, panels):
            if curves is None or column not in curves or curves[column].isna().all():
                continue
            points = curves.dropna(subset=[column])
            ax.plot(points["epoch"], points[column], marker=".", label=label, color=colour)
            if diverged is not None:
                ax.plot(points["epoch"].iloc[-1], points[column].iloc[-1], "x", color=colour, ms=10)
    for ax, (_, title) in zip(axes, panels):
        ax.set_title(title)
        ax.set_xlabel("epoch")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=4, fontsize=7,
               bbox_to_anchor=(0.5, -0.08))
    fig.suptitle(f"{TITLES[name]} on {spec['dataset']} (preset {config['preset']}; x = diverged)")
    return save_figure(fig, out / name)


def sample_montage(config: dict, dataset: str, out: Path) -> list[Path]:
    """One figure with the sample grid of every model in ``figures.grids`` on ``dataset``."""
    models = config["figures"]["grids"]
    fig, axes = plt.subplots(2, len(models), figsize=(3 * len(models), 6.2), squeeze=False)
    for column, model in enumerate(models):
        for row, kind in enumerate(("grid", "interpolation")):
            ax = axes[row, column]
            ax.axis("off")
            image = paths.grid(config, dataset, model, kind)
            if image.exists():
                ax.imshow(Image.open(image), cmap="gray")
            ax.set_title(f"{config['models'][model].get('label', model)}\n{kind}", fontsize=8)
    return save_figure(fig, out / f"samples_{dataset}")


@reports_errors
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("figures", nargs="+", help="figure3, figure4, or samples_<dataset>")
    args = parser.parse_args(argv)
    announce("benchmark.figures")
    config = load_config(args.config)
    out = Path(config["results_dir"])
    for name in args.figures:
        if name in PANELS:
            outputs = training_curves(config, name, out)
        elif name.startswith("samples_"):
            outputs = sample_montage(config, name.removeprefix("samples_"), out)
        else:
            parser.error(f"unknown figure {name!r}; choose figure3, figure4 or samples_<dataset>")
        print(*outputs, sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
