"""Figures 3 and 4 (losses and FID over epochs, from a preset's :class:`benchmark.results.Results`)
and the sample-grid montages, as PNG and PDF (TrueType text), each at text width and at column
width (``_column``), with the figure's caption beside each PNG (``<stem>.txt``).  A model is drawn
in the colour of its name in every figure of every preset, and named by its label."""
from __future__ import annotations

import hashlib
import math
import re
from pathlib import Path

import matplotlib
import pandas as pd

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from PIL import Image  # noqa: E402

from benchmark import paths  # noqa: E402
from benchmark.atomic import atomic_path, atomic_write_text  # noqa: E402
from benchmark.config import CONFIGS_DIR, load_config, model_param  # noqa: E402
from benchmark.provenance import PIPELINE_CHECK_NOTE  # noqa: E402
from benchmark.results import Results  # noqa: E402
from benchmark.sampling import GRID_COLUMNS, GRID_HEIGHT_KEY, INTERPOLATION_STEPS  # noqa: E402

PANELS = {
    "figure3": [("fid", "FID"), ("entropy_loss", "entropy loss −Σ log σ"), ("nll", "NLL of the latents")],
    "figure4": [("fid", "FID"), ("recon", "reconstruction loss"), ("nll", "NLL of the latents")],
}
TITLES = {"figure3": "GLF vs VAE+flow prior", "figure4": "Regularized GLF (no stop-gradient)"}
# The paper's panels' dataset (PAPER.md: Figures 3 and 4 are CIFAR-10, trained for the paper
# preset's CIFAR-10 epochs), which a preset's caption names when it draws another dataset or fewer epochs.
PAPER_FIGURES = {"figure3": "cifar10", "figure4": "cifar10"}
BAND_ALPHA = 0.2
FEATURE_NAMES = {"inception": "Inception-v3 features", "classifier": "classifier features"}
WIDTHS_IN = dict(zip(paths.FIGURE_VARIANTS, (7.0, 3.3)))  # \textwidth, one column of a two-column paper
STYLE = {"pdf.fonttype": 42, "ps.fonttype": 42, "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8,
         "legend.fontsize": 7, "xtick.labelsize": 7, "ytick.labelsize": 7, "figure.titlesize": 8}
matplotlib.rcParams.update(STYLE)
# tab10 and Dark2 without their greys (#7f7f7f, #666666: two lines in them read as one model)
PALETTE = [c for c in (*matplotlib.colormaps["tab10"].colors, *matplotlib.colormaps["Dark2"].colors)
           if max(c) - min(c) > 0.05]


def model_colours(models: list[str]) -> dict[str, tuple]:
    """A colour per model, fixed by its name (the same model has the same colour in every figure
    and preset): the palette entry its name hashes to, the next free one when two names meet."""
    colours, taken = {}, set()
    for model in models:
        index = int(hashlib.md5(model.encode()).hexdigest(), 16) % len(PALETTE)
        while index in taken and len(taken) < len(PALETTE):
            index = (index + 1) % len(PALETTE)
        taken.add(index)
        colours[model] = PALETTE[index]
    return colours


def add_legend(fig: plt.Figure, handles: list, width: float) -> None:
    """The figure's legend below its panels: four columns at text width, two at column width, one
    (the figure made taller to hold it) when a label is too long to share a column-width line."""
    one_column = width < 4 and any(len(h.get_label()) > 24 for h in handles)
    if one_column:
        fig.set_size_inches(width, fig.get_size_inches()[1] + 0.2 * len(handles))
    fig.legend(handles=handles, loc="outside lower center", ncol=1 if one_column else 2 if width < 4 else 4)


def caption_start(config: dict) -> str:
    """"Pipeline check, numbers meaningless. " for a preset with ``pipeline_check: true``, else ""."""
    return f"{PIPELINE_CHECK_NOTE.capitalize()}. " if config["pipeline_check"] else ""


def write_caption(text: str, stems: list[Path]) -> list[Path]:
    """Write ``text`` as ``<stem>.txt`` beside each figure stem; return the paths."""
    for stem in stems:
        atomic_write_text(stem.with_suffix(".txt"), text + "\n")
    return [stem.with_suffix(".txt") for stem in stems]


def mark_pipeline_check(fig: plt.Figure) -> None:
    """Draw "pipeline check, numbers meaningless" across ``fig`` (large, red, half transparent,
    over every panel), so that the image itself cannot be taken for a result."""
    fig.text(0.5, 0.5, PIPELINE_CHECK_NOTE.upper().replace(", ", "\n"), transform=fig.transFigure, ha="center",
             va="center", rotation=15, fontsize=fig.get_size_inches()[0] * 4.5, fontweight="bold", color="red",
             alpha=0.35, zorder=1000)


def save_figure(fig: plt.Figure, stem: Path, config: dict) -> list[Path]:
    """Save ``fig`` as ``stem.png`` and ``stem.pdf`` (TrueType fonts, page = figure size)
    atomically, marked as a pipeline check for a ``pipeline_check`` preset
    (:func:`mark_pipeline_check`), and close it."""
    if config["pipeline_check"]:
        mark_pipeline_check(fig)
    outputs = []
    for fmt in paths.FIGURE_FORMATS:
        target = stem.with_suffix(f".{fmt}")
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format=fmt, dpi=300)
        outputs.append(target)
    plt.close(fig)
    return outputs


def model_label(config: dict, model: str) -> str:
    """The model's label (its name without one), with "beta" spelled β."""
    return re.sub(r"\bbeta\b", "β", config["models"][model].get("label", model))


def model_beta(config: dict, model: str) -> str:
    """The model's decoder β as text (the preset's, else its method's default; "learned" with a
    learned variance; "" when its method has none)."""
    beta = "learned" if model_param(config, model, "learn_variance") else model_param(config, model, "beta")
    return "" if beta is None else beta if isinstance(beta, str) else f"{beta:g}"


def _panel_axes(count: int, width: float) -> tuple[plt.Figure, list[plt.Axes]]:
    """Panels side by side at text width, stacked at column width."""
    if width < 4:
        fig, axes = plt.subplots(count, 1, figsize=(width, 1.6 * count + 0.9), layout="constrained")
    else:
        fig, axes = plt.subplots(1, count, figsize=(width, 2.6), layout="constrained")
    return fig, list(axes)


def seed_band(mean: pd.DataFrame, spread: pd.DataFrame | None, column: str) -> pd.DataFrame | None:
    """The epochs at which two or more seeds logged ``column``: ``epoch``, ``low`` and ``high``
    (the mean over seeds minus and plus their standard deviation, from :meth:`Results.curves` and
    :meth:`Results.curve_spread`); ``None`` when there is no such epoch."""
    if spread is None or column not in spread:
        return None
    joined = mean[["epoch", column]].merge(spread[["epoch", column]], on="epoch", suffixes=("", "_sd")).dropna()
    if joined.empty:
        return None
    return pd.DataFrame({"epoch": joined["epoch"], "low": joined[column] - joined[f"{column}_sd"],
                         "high": joined[column] + joined[f"{column}_sd"]})


def _draw_curves(config: dict, name: str, curves: dict, width: float, spreads: dict | None = None) -> plt.Figure:
    spec = config["figures"][name]
    features = FEATURE_NAMES[config["evaluation"]["features"]]
    fig, axes = _panel_axes(len(PANELS[name]), width)
    colours = model_colours(list(curves))
    handles, any_diverged = {}, False
    for ax, (column, quantity) in zip(axes, PANELS[name]):
        not_logged, not_run = [], []
        for model, (frame, diverged) in curves.items():
            label, colour = model_label(config, model), colours[model]
            if frame is None or column not in frame or frame[column].isna().all():
                if diverged is None:
                    (not_run if frame is None else not_logged).append(label)
                    continue
                # diverged before it logged a value: an x at its epoch on the panel's floor
                key = f"{label}: diverged at epoch {diverged}"
                handles[key], = ax.plot([diverged], [0.02], "x", color=colour, ms=7, ls="none", label=key,
                                        transform=ax.get_xaxis_transform(), clip_on=False)
                any_diverged = True
                continue
            points = frame.dropna(subset=[column])
            handles[label], = ax.plot(points["epoch"], points[column], marker=".", label=label, color=colour)
            band = seed_band(points, (spreads or {}).get(model), column)
            if band is not None:
                ax.fill_between(band["epoch"], band["low"], band["high"], color=colour, alpha=BAND_ALPHA, lw=0)
                handles["band"] = Patch(color="grey", alpha=BAND_ALPHA, label="shaded: ± 1 sd over seeds")
            if diverged is not None:
                any_diverged = True
                ax.plot(points["epoch"].iloc[-1], points[column].iloc[-1], "x", color=colour, ms=7)
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"FID ({features})" if column == "fid" else quantity)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        absent = ([f"{', '.join(not_logged)}: has no {quantity}"] if not_logged else []) + \
                 ([f"{', '.join(not_run)}: not run yet"] if not_run else [])
        if absent:
            ax.set_title("; ".join(absent), fontsize=6, loc="left")
    if "band" in handles:
        handles["band"] = handles.pop("band")  # after the models in the legend
    if any_diverged:
        handles["diverged"] = Line2D([], [], marker="x", ls="none", color="black", label="x: diverged")
    add_legend(fig, list(handles.values()), width)
    fig.suptitle(f"{TITLES[name]} on {spec['dataset']}{chr(10) if width < 4 else ' '}(preset {config['preset']})")
    return fig


def training_curves(results: Results, name: str, out: Path) -> list[Path]:
    """Figure 3 or 4, at text width (``name``) and column width (``name_column``): one panel per
    logged quantity, one line per model (the mean over its seeds at each epoch, in a band of ± one
    standard deviation where two or more seeds logged the epoch); a diverged run is drawn up to
    its divergence and marked with an x there (one that diverged before logging a value: an x at
    that epoch on the panel's floor, its status in the legend); a panel names the models that
    logged no value for it."""
    config = results.config
    spec = config["figures"][name]
    curves = {model: results.curves(model, spec["dataset"]) for model in spec["models"]}
    spreads = {model: results.curve_spread(model, spec["dataset"]) for model in spec["models"]}
    stems = [out / f"{name}{variant}" for variant in WIDTHS_IN]
    figures = [path for (variant, width), stem in zip(WIDTHS_IN.items(), stems)
               for path in save_figure(_draw_curves(config, name, curves, width, spreads), stem, config)]
    return figures + write_caption(curves_caption(config, name, curves, spreads), stems)


def paper_difference(config: dict, name: str) -> str:
    """A sentence naming how the preset's Figure 3 or 4 departs from the paper's panel (another
    dataset, fewer epochs), or "" when it does not."""
    dataset = PAPER_FIGURES[name]
    paper_epochs = load_config(CONFIGS_DIR / "paper.yaml")["datasets"][dataset]["epochs"]
    ours = config["figures"][name]["dataset"]
    epochs = config["datasets"][ours]["epochs"]
    if ours == dataset and epochs >= paper_epochs:
        return ""
    return (f" The paper's figure is on {dataset} over {paper_epochs} GLF epochs; this budget gives {ours} over "
            f"{epochs} (the VAE family trains its epochs_factor times as many): compare the shapes of the curves, "
            f"not their values.")


def curves_caption(config: dict, name: str, curves: dict, spreads: dict | None = None) -> str:
    """The caption of Figure 3 or 4: what is drawn, how many seeds each line averages (and the
    band), each model's β, the features of the FID, the models without a curve in a panel and how
    the figure departs from the paper's (:func:`paper_difference`)."""
    spec = config["figures"][name]
    betas = "; ".join(f"{model_label(config, m)}: β {model_beta(config, m)}" for m in curves if model_beta(config, m))
    seeds = ", ".join(f"{model_label(config, m)} {int(spread['seeds'].max())}"
                      for m, spread in (spreads or {}).items() if spread is not None)
    panels = ", ".join(quantity for _, quantity in PANELS[name])
    return (f"{caption_start(config)}{TITLES[name]} on {spec['dataset']} over the training epochs "
            f"(preset {config['preset']}): {panels}; FID on "
            f"{FEATURE_NAMES[config['evaluation']['features']]}, every {config['evaluation']['eval_every']} epoch(s) on "
            f"{config['evaluation']['eval_samples']} samples. Each line is the mean over the model's seeds at each "
            f"epoch, shaded ± one standard deviation over them where two or more seeds logged the epoch (seeds per "
            f"model: {seeds or 'none logged'}). Decoder β per model: {betas}. An x marks a run that "
            f"diverged; a panel names the models that have no value for it (GLF's encoder is deterministic, so it has "
            f"no entropy loss).{paper_difference(config, name)} Files ending _column are drawn for one column of a "
            f"two-column paper.")


def _draw_montage(config: dict, dataset: str, width: float) -> plt.Figure:
    """Text width: per model (one column each), its sample grid above its interpolations."""
    models = config["figures"]["grids"]
    fig, axes = plt.subplots(2, len(models), figsize=(width, width * 2.3 / len(models)), squeeze=False,
                             layout="constrained")
    for column, model in enumerate(models):
        for row, kind in enumerate(("samples", "interpolations")):
            ax = axes[row, column]
            ax.axis("off")
            image = paths.grid(config, dataset, model, "grid" if kind == "samples" else "interpolation")
            if image.exists():
                ax.imshow(without_caption(Image.open(image)), cmap="gray", interpolation="nearest")
            ax.set_title(f"{model_label(config, model)}:\n{kind}", fontsize=7)
    fig.suptitle(f"{dataset}, seed {config['seeds'][0]}, preset {config['preset']}")
    return fig


COLUMN_TILES = 4  # the one-column montage shows each model's first 4 x 4 samples
COLUMN_MODELS_PER_ROW = 3


def corner(image: Image.Image, tiles: int = COLUMN_TILES) -> Image.Image:
    """The top-left ``tiles`` x ``tiles`` samples of a sample grid (:data:`benchmark.sampling.GRID_COLUMNS`
    samples per row, 2-pixel padding), its caption left out; a grid narrower than that as it is."""
    grid = without_caption(image)
    tile = (grid.width - 2) // GRID_COLUMNS
    side = 2 + tiles * tile
    return grid.crop((0, 0, side, side)) if side <= min(grid.width, grid.height) else grid


def _draw_column_montage(config: dict, dataset: str, width: float) -> plt.Figure:
    """One column: each model's first samples (:func:`corner`) under its label alone, in rows of
    :data:`COLUMN_MODELS_PER_ROW` models (no interpolations: at 3.3 in they would print too small)."""
    models = config["figures"]["grids"]
    rows = math.ceil(len(models) / COLUMN_MODELS_PER_ROW)
    tile = width / COLUMN_MODELS_PER_ROW
    fig, axes = plt.subplots(rows, COLUMN_MODELS_PER_ROW, figsize=(width, rows * (tile + 0.2)), squeeze=False,
                             layout="constrained")
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index >= len(models):
            continue
        image = paths.grid(config, dataset, models[index], "grid")
        if image.exists():
            ax.imshow(corner(Image.open(image)), cmap="gray", interpolation="nearest")
        ax.set_title(model_label(config, models[index]), fontsize=8)
    return fig


def without_caption(image: Image.Image) -> Image.Image:
    """A sample grid without the caption written below its images (the montage names them in
    vector text): cropped to the height its PNG records, else as it is."""
    height = int(image.info.get(GRID_HEIGHT_KEY, image.height))
    return image.crop((0, 0, image.width, height))


def sample_montage(results: Results, dataset: str, out: Path) -> list[Path]:
    """The sample grid and interpolations of every model in ``figures.grids`` on ``dataset`` at
    text width (``samples_<dataset>``), and each model's first samples alone at column width
    (``samples_<dataset>_column``, :func:`_draw_column_montage`), each with its caption naming
    the sampler the grids were drawn under (``evaluation.sampling``)."""
    config = results.config
    draw = {"": _draw_montage, "_column": _draw_column_montage}
    stems = {variant: out / f"samples_{dataset}{variant}" for variant in WIDTHS_IN}
    figures = [path for variant, width in WIDTHS_IN.items()
               for path in save_figure(draw[variant](config, dataset, width), stems[variant], config)]
    labels = ", ".join(model_label(config, m) for m in config["figures"]["grids"])
    start = (f"{caption_start(config)}Samples on {dataset} (preset {config['preset']}, seed {config['seeds'][0]}), "
             f"every model drawn under the {config['evaluation']['sampling']} sampler (evaluation.sampling, the "
             f"one its FIDs in Table 1 use) ({labels}). ")
    text = (f"{start}One column per model. Top: the first 100 samples. Bottom: interpolations, each row "
            f"{INTERPOLATION_STEPS} images decoded along a straight line between two noise draws, the two ends "
            f"included.")
    column = (f"{start}The first {COLUMN_TILES * COLUMN_TILES} samples of each model ({COLUMN_TILES} x "
              f"{COLUMN_TILES}), for one column of a two-column paper; {stems[''].name}.png has 100 samples and "
              f"the interpolations.")
    return figures + write_caption(text, [stems[""]]) + write_caption(column, [stems["_column"]])
