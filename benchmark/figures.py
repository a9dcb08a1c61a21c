"""Figures 3 and 4 (losses and FID over epochs, from a preset's :class:`benchmark.results.Results`)
and the sample-grid montages, as PNG and PDF, each at text width and at column width (``_column``)."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from PIL import Image  # noqa: E402

from benchmark import paths  # noqa: E402
from benchmark.atomic import atomic_path  # noqa: E402
from benchmark.config import model_param  # noqa: E402
from benchmark.results import Results  # noqa: E402

PANELS = {
    "figure3": [("fid", "FID"), ("entropy_loss", "entropy loss -sum(log sigma)"), ("nll", "NLL of the latents")],
    "figure4": [("fid", "FID"), ("recon", "reconstruction loss"), ("nll", "NLL of the latents")],
}
TITLES = {"figure3": "GLF vs VAE+flow prior", "figure4": "Regularized GLF (no stop-gradient)"}
FEATURE_NAMES = {"inception": "Inception-v3 features", "classifier": "classifier features"}
WIDTHS_IN = dict(zip(paths.FIGURE_VARIANTS, (7.0, 3.3)))  # \textwidth, one column of a two-column paper
STYLE = {"pdf.fonttype": 42, "ps.fonttype": 42, "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8,
         "legend.fontsize": 7, "xtick.labelsize": 7, "ytick.labelsize": 7, "figure.titlesize": 8}
matplotlib.rcParams.update(STYLE)


def save_figure(fig: plt.Figure, stem: Path) -> list[Path]:
    """Save ``fig`` as ``stem.png`` and ``stem.pdf`` (TrueType fonts, page = figure size)
    atomically and close it."""
    outputs = []
    for fmt in paths.FIGURE_FORMATS:
        target = stem.with_suffix(f".{fmt}")
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format=fmt, dpi=300)
        outputs.append(target)
    plt.close(fig)
    return outputs


def model_label(config: dict, model: str) -> str:
    """The model's label with its decoder beta (the preset's, else its method's default; "learned"
    with a learned variance) when the method has one and the label does not say it."""
    label = config["models"][model].get("label", model)
    beta = "learned" if model_param(config, model, "learn_variance") else model_param(config, model, "beta")
    if beta is None or "beta" in label.lower() or "β" in label or "learned" in label:
        return label
    return f"{label} (β={beta})" if isinstance(beta, str) else f"{label} (β={beta:g})"


def _panel_axes(count: int, width: float) -> tuple[plt.Figure, list[plt.Axes]]:
    """Panels side by side at text width, stacked at column width."""
    if width < 4:
        fig, axes = plt.subplots(count, 1, figsize=(width, 1.6 * count + 0.9), layout="constrained")
    else:
        fig, axes = plt.subplots(1, count, figsize=(width, 2.6), layout="constrained")
    return fig, list(axes)


def _draw_curves(config: dict, name: str, curves: dict, width: float) -> plt.Figure:
    spec = config["figures"][name]
    features = FEATURE_NAMES[config["evaluation"]["features"]]
    fig, axes = _panel_axes(len(PANELS[name]), width)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    handles, any_diverged = {}, False
    for ax, (column, quantity) in zip(axes, PANELS[name]):
        missing = []
        for number, (model, (frame, diverged)) in enumerate(curves.items()):
            label, colour = model_label(config, model), colours[number % len(colours)]
            if frame is None or column not in frame or frame[column].isna().all():
                if diverged is None:
                    missing.append(label)
                    continue
                # diverged before it logged a value: an x at its epoch on the panel's floor
                key = f"{label}: diverged at epoch {diverged}"
                handles[key], = ax.plot([diverged], [0.02], "x", color=colour, ms=7, ls="none", label=key,
                                        transform=ax.get_xaxis_transform(), clip_on=False)
                any_diverged = True
                continue
            points = frame.dropna(subset=[column])
            handles[label], = ax.plot(points["epoch"], points[column], marker=".", label=label, color=colour)
            if diverged is not None:
                any_diverged = True
                ax.plot(points["epoch"].iloc[-1], points[column].iloc[-1], "x", color=colour, ms=7)
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"FID ({features})" if column == "fid" else quantity)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if missing:
            ax.set_title("no value: " + ", ".join(missing), fontsize=6, loc="left")
    if any_diverged:
        handles["diverged"] = Line2D([], [], marker="x", ls="none", color="black", label="x: diverged")
    fig.legend(handles=list(handles.values()), loc="outside lower center", ncol=2 if width < 4 else 4)
    fig.suptitle(f"{TITLES[name]} on {spec['dataset']} (preset {config['preset']})")
    return fig


def training_curves(results: Results, name: str, out: Path) -> list[Path]:
    """Figure 3 or 4, at text width (``name``) and column width (``name_column``): one panel per
    logged quantity, one line per model; a diverged run is drawn up to its divergence and marked
    with an x there (one that diverged before logging a value: an x at that epoch on the panel's
    floor, its status in the legend); a panel names the models that logged no value for it."""
    config = results.config
    spec = config["figures"][name]
    curves = {model: results.curves(model, spec["dataset"]) for model in spec["models"]}
    return [path for variant, width in WIDTHS_IN.items()
            for path in save_figure(_draw_curves(config, name, curves, width), out / f"{name}{variant}")]


def _draw_montage(config: dict, dataset: str, width: float) -> plt.Figure:
    models = config["figures"]["grids"]
    fig, axes = plt.subplots(2, len(models), figsize=(width, width * 2.3 / len(models)), squeeze=False,
                             layout="constrained")
    for column, model in enumerate(models):
        for row, kind in enumerate(("samples", "interpolations")):
            ax = axes[row, column]
            ax.axis("off")
            image = paths.grid(config, dataset, model, "grid" if kind == "samples" else "interpolation")
            if image.exists():
                ax.imshow(Image.open(image), cmap="gray", interpolation="nearest")
            ax.set_title(f"{model_label(config, model)}:\n{kind}", fontsize=7)
    fig.suptitle(f"{dataset}, seed {config['seeds'][0]}, preset {config['preset']}")
    return fig


def sample_montage(results: Results, dataset: str, out: Path) -> list[Path]:
    """The sample grid and interpolations of every model in ``figures.grids`` on ``dataset``, at
    text width (``samples_<dataset>``) and column width (``samples_<dataset>_column``)."""
    return [path for variant, width in WIDTHS_IN.items()
            for path in save_figure(_draw_montage(results.config, dataset, width), out / f"samples_{dataset}{variant}")]
