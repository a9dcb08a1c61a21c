"""The FID-curve figure (``figures.fid_curve``): FID against training epochs, one panel per uniform
sampler, one line per model (mean over seeds, shaded ± one sd), the reference rows (training
images: the floor; per-pixel Gaussian: for scale) as horizontal lines, and the earlier budget of
the same protocol (:func:`benchmark.fid_curve.earlier_of`) as hollow points with ± sd bars."""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from benchmark.fid_curve import curve_frame, earlier_of
from benchmark.figures import (BAND_ALPHA, FEATURE_NAMES, WIDTHS_IN, add_legend, caption_start, model_colours,
                               model_label, save_figure, write_caption)
from benchmark.floors import FLOORS
from benchmark.results import Results
from models.sampling import SAMPLING_PROTOCOLS

FLOOR_STYLES = {"training_images": ":", "pixel_gaussian": "--"}
OFF_SCALE = 1.5  # a reference row above this many times the curves' top is named in the legend, not drawn


def _draw(results: Results, width: float) -> plt.Figure:
    config = results.config
    spec = config["figures"]["fid_curve"]
    data = curve_frame(results)
    ours, earlier = data[data["budget"] == config["preset"]], data[data["budget"] != config["preset"]]
    colours = model_colours(spec["models"])
    narrow = width < 4
    fig, axes = plt.subplots(len(SAMPLING_PROTOCOLS) if narrow else 1, 1 if narrow else len(SAMPLING_PROTOCOLS),
                             figsize=(width, 4.6 if narrow else 2.8), layout="constrained", squeeze=False,
                             sharey=True)
    top = max((data[f"{p}_mean"] + data[f"{p}_std"].fillna(0)).max() for p in SAMPLING_PROTOCOLS) if len(data) else 0
    handles = {}
    for ax, protocol in zip(axes.ravel(), SAMPLING_PROTOCOLS):
        mean, std = f"{protocol}_mean", f"{protocol}_std"
        for model in spec["models"]:
            label, colour = model_label(config, model), colours[model]
            line = ours[ours["model"] == model].sort_values("epoch")
            if not line.empty:
                handles[label], = ax.plot(line["epoch"], line[mean], marker=".", color=colour, label=label)
                band = line.dropna(subset=[std])
                ax.fill_between(band["epoch"], band[mean] - band[std], band[mean] + band[std], color=colour,
                                alpha=BAND_ALPHA, lw=0)
            before = earlier[earlier["model"] == model]
            if not before.empty:
                ax.errorbar(before["epoch"], before[mean], yerr=before[std].fillna(0), fmt="o", mfc="white",
                            color=colour, ms=4, capsize=2)
        for kind, style in FLOOR_STYLES.items():
            floor = results.floors.get((spec["dataset"], kind))
            if floor and floor.get("fid") is not None:
                off_scale = top > 0 and floor["fid"] > OFF_SCALE * top
                if not off_scale:
                    ax.axhline(floor["fid"], color="grey", ls=style, lw=0.8)
                label = f"{FLOORS[kind]}: FID {floor['fid']:.0f}, off the axis" if off_scale else FLOORS[kind]
                handles[FLOORS[kind]] = Line2D([], [], color="grey", ls="none" if off_scale else style, lw=0.8,
                                               label=label)
        ax.set_title(f"{protocol} sampler", loc="left")
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"FID ({FEATURE_NAMES[config['evaluation']['features']]})")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlim(left=0)
    if top > 0:
        axes[0, 0].set_ylim(0, 1.05 * top)  # shared by every panel
    if not ours.empty:
        handles["band"] = Patch(color="grey", alpha=BAND_ALPHA, label="shaded: ± 1 sd over seeds")
    if not earlier.empty:
        handles["earlier"] = Line2D([], [], marker="o", mfc="white", color="black", ls="none",
                                    label=f"hollow: {earlier['budget'].iloc[0]} (shorter training) ± 1 sd")
    add_legend(fig, list(handles.values()), width)
    fig.suptitle(f"FID against epochs on {spec['dataset']}{chr(10) if narrow else ' '}(preset {config['preset']})")
    return fig


def fid_curve_caption(results: Results) -> str:
    """What the figure draws: the samplers, the seeds per model, the tracking, the features, the
    reference lines and the earlier budget (or why it is not drawn)."""
    config = results.config
    spec, evaluation = config["figures"]["fid_curve"], config["evaluation"]
    data = curve_frame(results)
    ours = data[data["budget"] == config["preset"]]
    seeds = ", ".join(f"{model_label(config, m)} {int(ours.loc[ours['model'] == m, 'n_seeds'].max())}"
                      for m in spec["models"] if (ours["model"] == m).any())
    earlier = earlier_of(results)
    earlier_text = ("" if earlier is None else
                    f" Hollow points with ± 1 sd bars: preset {earlier.preset}'s final FIDs of the same models (the "
                    f"same protocol, fewer epochs, its own LR schedule), from its table1_long.csv." if earlier.comparable
                    else f" Preset {earlier.preset}'s final FIDs are not drawn: {earlier.why}.")
    return (f"{caption_start(config)}FID against training epochs on {spec['dataset']} (preset {config['preset']}): "
            f"one panel per uniform sampler ({', '.join(SAMPLING_PROTOCOLS)}), FID on "
            f"{FEATURE_NAMES[evaluation['features']]} from {evaluation['eval_samples']} samples every "
            f"{evaluation['eval_every']} epochs. Each line is the mean over the model's seeds (seeds per model: "
            f"{seeds or 'none logged'}), shaded ± one standard deviation, both panels on one scale. Dotted: "
            f"{FLOORS['training_images']}; dashed: {FLOORS['pixel_gaussian']}; a reference row more than "
            f"{OFF_SCALE} times the curves' top is named in the legend with its value instead.{earlier_text} "
            f"The numbers: fid_curve_table; claim 1 at each epoch: fid_curve_claims. Files ending _column are drawn for one column of a two-column paper.")


def fid_curve_figure(results: Results, out: Path) -> list[Path]:
    """Draw ``fid_curve`` at text and column width (PNG, PDF) with its caption; return the paths."""
    stems = [out / f"fid_curve{variant}" for variant in WIDTHS_IN]
    figures = [path for (_, width), stem in zip(WIDTHS_IN.items(), stems)
               for path in save_figure(_draw(results, width), stem, results.config)]
    return figures + write_caption(fid_curve_caption(results), stems)
