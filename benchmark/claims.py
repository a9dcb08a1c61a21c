"""The paper's claims (../shared/PAPER.md, "The paper's claims") as predicates over run results.

:func:`load_results` reads every run of a preset (metrics JSON, train logs, status files) into a
:class:`Results`; :func:`check_claims` evaluates each claim on it and returns one row per
(claim, part, dataset, subject) with the evidence and a verdict:

- ``holds``: the evidence supports the claim beyond the noise;
- ``fails``: the evidence contradicts it beyond the noise;
- ``not enough evidence``: a model the claim needs was not run (or not finished), or a
  difference is within the noise.

How noise is judged.  A comparison of a metric between two models uses the seeds of each: the
means differ "beyond the noise" when the gap exceeds the two-sided 95 % Student-t critical value
(degrees of freedom: the seeds' count minus one, summed over the models with 2+ seeds) times the
standard error of the difference, ``sqrt(s_a^2/n_a + s_b^2/n_b)`` with ``s`` the seeds' standard
deviation (ddof 1): 4.3 standard errors with 2 seeds each, 2.8 with 3.  When one model has a
single seed, the other's spread stands in for it; when neither has two seeds the spread is
unknown, and only a gap larger than ``SINGLE_SEED_MARGIN`` (10 %) of the larger mean counts (the
paper's seed-to-seed FID spread is 1-8 % of the mean).  A gap never counts below ``MIN_MARGIN``
(1 %) of the larger mean.  A run that diverged loses every comparison with a finished one.
Trajectory claims (a curve that falls, rises, over-fits or fluctuates) need ``MIN_CURVE_POINTS``
(4) logged points per run and are judged per seed; the verdict is the seeds' common verdict,
``not enough evidence`` when they disagree.  The thresholds of those trajectories are the module
constants below.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import t as student_t

from benchmark import paths
from benchmark.config import model_param, table1_datasets, uses_perceptual

HOLDS, FAILS, UNKNOWN = "holds", "fails", "not enough evidence"
CONFIDENCE = 0.95
MIN_CURVE_POINTS = 4
SINGLE_SEED_MARGIN = 0.10
MIN_MARGIN = 0.01
SHRINK = 0.9            # latents "shrink": final z_norm below 0.9 x its first-epoch value
OVERFIT_NATS_PER_DIM = 1.0  # NLL over-fits: it falls > 1 nat per latent dim over the second half
FLUCTUATION = 0.2       # FID fluctuates: a rise > 20 % of the curve's minimum after the first quarter
DIVERGENCE = 1.5        # FID diverges: final tracked FID > 1.5 x its minimum (or the run diverged)
CLAIMS = {
    "1": "GLF has a lower FID than every baseline without perceptual loss (Table 1)",
    "2": "A perceptual loss lowers GLF's FID further (GLF+perceptual < GLF, Table 1)",
    "3": "GLF converges faster and to a lower FID than VAE+flow prior at every beta; the gap closes "
         "as beta grows; a learnable decoder variance is not effective (Fig 3a)",
    "4": "VAE+flow prior: larger beta gives a higher entropy loss; its NLL does not over-fit; its FID "
         "neither diverges nor fluctuates (Fig 3b, 3c)",
    "5": "Regularized GLF: latents shrink, log-det grows, NLL over-fits; FID fluctuates or diverges "
         "and ends worse than GLF's (Section 3.3, Fig 4)",
    "6": "GLF needs fewer epochs and less time than Two-Stage VAE and GLANN (Table 2, Table 5)",
    "7": "GLF has the best (F_8, F_1/8) among the non-perceptual models (Table 6)",
}


@dataclass
class Run:
    """One (model, dataset, seed): its metrics dict (None = not evaluated), its stage-1 and
    stage-2 per-epoch logs (None = absent) and its status (completed / diverged / not run)."""

    seed: int
    metrics: dict | None
    log: pd.DataFrame | None
    stage2_log: pd.DataFrame | None
    status: str


@dataclass
class Results:
    """Every run of a preset found on disk, keyed by (model, dataset), plus the preset itself."""

    config: dict
    runs: dict[tuple[str, str], list[Run]] = field(default_factory=dict)

    def of(self, model: str, dataset: str) -> list[Run]:
        """The runs found of ``model`` on ``dataset`` (one per seed on disk, possibly none)."""
        return self.runs.get((model, dataset), [])

    def label(self, model: str) -> str:
        return self.config["models"][model].get("label", model)


@dataclass
class Finding:
    """One checked statement: a verdict and the numbers behind it."""

    verdict: str
    evidence: str
    within_noise: bool = False


def _read_csv(path: Path) -> pd.DataFrame | None:
    if not path.exists() or path.stat().st_size == 0:
        return None
    return pd.read_csv(path)


def _read_run(config: dict, dataset: str, model: str, seed: int) -> Run | None:
    run_dir = paths.run_dir(config, dataset, model, seed)
    metrics_path = paths.metrics(config, dataset, model, seed)
    metrics = json.loads(metrics_path.read_text()) if metrics_path.exists() else None
    log, stage2 = _read_csv(run_dir / "train_log.csv"), _read_csv(run_dir / "stage2_log.csv")
    status_path = run_dir / "train_status.json"
    if metrics is not None:
        status = metrics.get("status", "completed")
    elif status_path.exists():
        status = json.loads(status_path.read_text())["status"]
    else:
        status = "not run"
    if metrics is None and log is None and status == "not run":
        return None
    return Run(seed, metrics, log, stage2, status)


def load_results(config: dict) -> Results:
    """Read every (model, dataset, seed) of the preset that left a metrics file, a log or a
    status file under ``runs_dir``."""
    results = Results(config)
    for model in config["models"]:
        for dataset in config["datasets"]:
            found = [_read_run(config, dataset, model, seed) for seed in config["seeds"]]
            if any(found):
                results.runs[(model, dataset)] = [r for r in found if r is not None]
    return results


# ---------------------------------------------------------------- comparing numbers over seeds

@dataclass
class Sample:
    """A metric of one model over seeds: finished seeds' values and how many seeds diverged."""

    name: str
    values: list[float]
    diverged: int = 0

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def std(self) -> float:
        return float(np.std(self.values, ddof=1)) if len(self.values) > 1 else math.nan

    def describe(self, digits: int = 2) -> str:
        if not self.values:
            return f"{self.name}: {'diverged' if self.diverged else 'not run'}"
        spread = f" ± {self.std:.{digits}f}" if len(self.values) > 1 else ""
        seeds = f"{len(self.values)} seed{'s' if len(self.values) > 1 else ''}"
        extra = f", {self.diverged} diverged" if self.diverged else ""
        return f"{self.name}: {self.mean:.{digits}f}{spread} ({seeds}{extra})"


def metric_sample(results: Results, model: str, dataset: str, key: str) -> Sample:
    """The final metric ``key`` of ``model`` on ``dataset`` over the seeds that were evaluated."""
    runs = [r for r in results.of(model, dataset) if r.metrics is not None]
    values = [float(r.metrics[key]) for r in runs if r.status == "completed" and key in r.metrics]
    return Sample(results.label(model), values, sum(r.status == "diverged" for r in runs))


def noise_band(a: Sample, b: Sample) -> tuple[float, str]:
    """The gap between the two means that counts as real, and how it was obtained."""
    scale = max(abs(a.mean), abs(b.mean))
    spreads = [s.std for s in (a, b) if len(s.values) > 1]
    if not spreads:
        return SINGLE_SEED_MARGIN * scale, f"one seed each: margin {SINGLE_SEED_MARGIN:.0%} of the larger mean"
    pooled = float(np.mean(spreads))
    sa = a.std if len(a.values) > 1 else pooled
    sb = b.std if len(b.values) > 1 else pooled
    se = math.sqrt(sa ** 2 / len(a.values) + sb ** 2 / len(b.values))
    dof = sum(len(s.values) - 1 for s in (a, b) if len(s.values) > 1)
    critical = float(student_t.ppf(0.5 + CONFIDENCE / 2, dof))
    band = max(critical * se, MIN_MARGIN * scale)
    return band, f"noise {band:.2f} = max({critical:.2f} x std err {se:.2f} (t, {dof} dof), {MIN_MARGIN:.0%})"


def compare_lower(a: Sample, b: Sample, higher_is_better: bool = False, digits: int = 2) -> Finding:
    """Whether ``a`` is better than ``b`` (lower, or higher with ``higher_is_better``) beyond noise."""
    text = f"{a.describe(digits)} vs {b.describe(digits)}"
    if not a.values or not b.values:
        if a.values and b.diverged:
            return Finding(HOLDS, f"{text}; {b.name} diverged")
        if b.values and a.diverged:
            return Finding(FAILS, f"{text}; {a.name} diverged")
        return Finding(UNKNOWN, f"{text}; a run is missing")
    gap = (a.mean - b.mean) * (-1 if higher_is_better else 1)
    band, how = noise_band(a, b)
    if gap < -band:
        return Finding(HOLDS, f"{text}; gap {abs(gap):.{digits}f} > {how}")
    if gap > band:
        return Finding(FAILS, f"{text}; gap {abs(gap):.{digits}f} the wrong way > {how}")
    return Finding(UNKNOWN, f"{text}; gap {abs(gap):.{digits}f} within {how}", within_noise=True)


def all_of(findings: list[Finding]) -> Finding:
    """``fails`` when any part fails, ``holds`` when all hold, else ``not enough evidence``."""
    if not findings:
        return Finding(UNKNOWN, "nothing to compare: the models are not in this preset")
    verdicts = {f.verdict for f in findings}
    verdict = FAILS if FAILS in verdicts else HOLDS if verdicts == {HOLDS} else UNKNOWN
    return Finding(verdict, "; ".join(f.evidence for f in findings))


def per_seed(results: Results, model: str, dataset: str, check, what: str) -> Finding:
    """Apply ``check(run) -> (bool | None, evidence)`` to each seed's run; the seeds' common
    verdict (None = the run lacks the data), ``not enough evidence`` when they disagree."""
    runs = results.of(model, dataset)
    if not runs:
        return Finding(UNKNOWN, f"{results.label(model)}: not run")
    outcomes = [check(run) for run in runs]
    verdicts = {ok for ok, _ in outcomes}
    evidence = f"{results.label(model)} {what}: " + "; ".join(f"seed {run.seed}: {text}"
                                                            for run, (_, text) in zip(runs, outcomes))
    if None in verdicts or len(verdicts) > 1:
        return Finding(UNKNOWN, evidence + (" (seeds disagree)" if len(verdicts) > 1 and None not in verdicts else ""))
    return Finding(HOLDS if verdicts == {True} else FAILS, evidence)


# ---------------------------------------------------------------- trajectory tests on one run

def _column(run: Run, key: str) -> np.ndarray | None:
    if run.log is None or key not in run.log.columns:
        return None
    values = run.log[key].dropna().to_numpy(dtype=float)
    return values if len(values) >= MIN_CURVE_POINTS else None


def falls(key: str, factor: float = SHRINK):
    """A check: the last epoch's ``key`` is below ``factor`` x the first epoch's."""
    def check(run: Run):
        values = _column(run, key)
        if values is None:
            return None, f"no '{key}' column with 4+ epochs"
        return bool(values[-1] < factor * values[0]), f"{key} {values[0]:.3g} -> {values[-1]:.3g}"
    return check


def rises(key: str):
    """A check: the last epoch's ``key`` is above the first epoch's."""
    def check(run: Run):
        values = _column(run, key)
        if values is None:
            return None, f"no '{key}' column with 4+ epochs"
        return bool(values[-1] > values[0]), f"{key} {values[0]:.3g} -> {values[-1]:.3g}"
    return check


def nll_overfits(latent_dim: int):
    """A check: the training NLL falls by more than ``OVERFIT_NATS_PER_DIM`` x ``latent_dim`` nats
    over the second half of training (it keeps shrinking instead of settling)."""
    def check(run: Run):
        values = _column(run, "nll")
        if values is None:
            return None, "no 'nll' column with 4+ epochs"
        drop = values[len(values) // 2] - values[-1]
        return bool(drop > OVERFIT_NATS_PER_DIM * latent_dim), (
            f"nll {values[len(values) // 2]:.3g} -> {values[-1]:.3g} over the second half "
            f"(over-fit threshold {OVERFIT_NATS_PER_DIM * latent_dim:g} nats)")
    return check


def fid_unstable(run: Run):
    """A check: the tracked FID diverges (run diverged, or final > ``DIVERGENCE`` x minimum) or
    fluctuates (a rise > ``FLUCTUATION`` x minimum between evaluations after the first quarter)."""
    if run.status == "diverged":
        return True, "run diverged"
    values = _column(run, "fid")
    if values is None:
        return None, "no tracked 'fid' with 4+ evaluations"
    low = values.min()
    tail = values[len(values) // 4:]
    rise = float(np.max(np.diff(tail))) if len(tail) > 1 else 0.0
    unstable = values[-1] > DIVERGENCE * low or rise > FLUCTUATION * low
    return bool(unstable), f"fid min {low:.3g}, final {values[-1]:.3g}, largest late rise {rise:.3g}"


def _negated(check):
    def negation(run: Run):
        ok, text = check(run)
        return (None if ok is None else not ok), text
    return negation


# ---------------------------------------------------------------- which model is which

def table1_model(config: dict, method: str) -> str | None:
    """The first Table 1 model of ``method`` (e.g. the GLF row), None when absent."""
    return next((m for m in config["table1"]["models"] if config["models"][m]["method"] == method), None)


def beta_of(config: dict, model: str) -> float | str:
    """The decoder's beta of a model (``"learned"`` with a learnable variance)."""
    if model_param(config, model, "learn_variance"):
        return "learned"
    return float(model_param(config, model, "beta"))


def figure_models(config: dict, figure: str, method: str) -> list[str]:
    """The models of ``figure`` whose method is ``method``."""
    fig = config["figures"].get(figure)
    return [m for m in fig["models"] if config["models"][m]["method"] == method] if fig else []


def by_beta(config: dict, models: list[str]) -> dict[float, str]:
    """Fixed-beta models keyed by beta, sorted by beta (the first model of each beta)."""
    fixed = {}
    for model in models:
        beta = beta_of(config, model)
        if beta != "learned":
            fixed.setdefault(beta, model)
    return dict(sorted(fixed.items()))


# ---------------------------------------------------------------- the claims

def claim1(results: Results, dataset: str) -> list[tuple[str, str, Finding]]:
    """Claim 1 on ``dataset``: GLF's FID vs each Table 1 baseline without perceptual loss.
    Returns ``(part, subject, finding)`` rows."""
    config = results.config
    glf = table1_model(config, "glf")
    if glf is None:
        return [("", "GLF", Finding(UNKNOWN, "GLF is not a Table 1 model of this preset"))]
    baselines = [m for m in config["table1"]["models"] if m != glf and config["models"][m]["method"] != "glf"
                 and not uses_perceptual(config, m)]
    ours = metric_sample(results, glf, dataset, "fid")
    return [("", f"GLF vs {results.label(b)}", compare_lower(ours, metric_sample(results, b, dataset, "fid")))
            for b in baselines]


def claim2(results: Results, dataset: str) -> list[tuple[str, str, Finding]]:
    """Claim 2 on ``dataset``: GLF+perceptual's FID vs GLF's."""
    config = results.config
    glf, perceptual = table1_model(config, "glf"), table1_model(config, "glf_perceptual")
    if glf is None or perceptual is None:
        return [("", "GLF+perceptual vs GLF", Finding(UNKNOWN, "GLF+perceptual or GLF is not a Table 1 model of this preset"))]
    return [("", "GLF+perceptual vs GLF", compare_lower(metric_sample(results, perceptual, dataset, "fid"),
                                                       metric_sample(results, glf, dataset, "fid")))]


def _mean_tracked_fid(results: Results, model: str, dataset: str) -> Sample:
    runs = results.of(model, dataset)
    values = [float(np.mean(v)) for v in (_column(r, "fid") for r in runs if r.status == "completed") if v is not None]
    return Sample(f"{results.label(model)} mean tracked FID", values, sum(r.status == "diverged" for r in runs))


def claim3(results: Results, dataset: str) -> list[tuple[str, str, Finding]]:
    """Claim 3 on Figure 3's dataset: per beta, GLF's final and mean tracked FID vs VAE+flow prior's;
    the FID gap (paired by seed) at the largest beta vs the smallest; the learned variance vs the
    best fixed beta (no better within the noise counts as 'not effective')."""
    config = results.config
    glfs = by_beta(config, figure_models(config, "figure3", "glf"))
    priors = figure_models(config, "figure3", "vae_flow_prior")
    fixed = by_beta(config, priors)
    rows, gaps = [], []
    for beta, prior in fixed.items():
        if beta not in glfs:
            continue
        subject = f"beta={beta:g}"
        glf_fid, prior_fid = (metric_sample(results, m, dataset, "fid") for m in (glfs[beta], prior))
        rows.append(("lower final FID", subject, compare_lower(glf_fid, prior_fid)))
        rows.append(("faster convergence (lower mean FID over training)", subject,
                     compare_lower(_mean_tracked_fid(results, glfs[beta], dataset),
                                   _mean_tracked_fid(results, prior, dataset))))
        gap = _paired_gap(results, glfs[beta], prior, dataset)
        if gap.values:
            gaps.append((beta, gap))
    if not rows:
        rows.append(("lower final FID", "every beta", Finding(UNKNOWN, "no beta has both a GLF and a VAE+flow prior model in figure3")))
    if len(gaps) >= 2:
        (small_beta, small), (large_beta, large) = gaps[0], gaps[-1]
        finding = compare_lower(large, small)
        rows.append(("gap closes as beta grows", f"beta {small_beta:g} -> {large_beta:g}", finding))
    else:
        rows.append(("gap closes as beta grows", "", Finding(UNKNOWN, "fewer than two betas with both models finished")))
    learned = [m for m in priors if beta_of(config, m) == "learned"]
    if learned and fixed:
        best = min(fixed.values(), key=lambda m: metric_sample(results, m, dataset, "fid").mean
                   if metric_sample(results, m, dataset, "fid").values else math.inf)
        not_better = compare_lower(metric_sample(results, learned[0], dataset, "fid"),
                                   metric_sample(results, best, dataset, "fid"))
        verdict = {HOLDS: FAILS, FAILS: HOLDS, UNKNOWN: HOLDS if not_better.within_noise else UNKNOWN}[not_better.verdict]
        rows.append(("learnable variance not effective (no better than the best fixed beta)",
                     results.label(learned[0]), Finding(verdict, not_better.evidence)))
    else:
        rows.append(("learnable variance not effective", "", Finding(UNKNOWN, "no learned-variance VAE+flow prior in figure3")))
    return rows


def _paired_gap(results: Results, glf: str, prior: str, dataset: str) -> Sample:
    """VAE+flow prior's FID minus GLF's, per seed that both finished."""
    def fids(model):
        return {r.seed: float(r.metrics["fid"]) for r in results.of(model, dataset)
                if r.metrics is not None and r.status == "completed" and "fid" in r.metrics}
    ours, theirs = fids(glf), fids(prior)
    return Sample(f"FID gap {results.label(prior)} - {results.label(glf)}",
                  [theirs[s] - ours[s] for s in sorted(ours.keys() & theirs.keys())])


def entropy_loss(run: Run, latent_dim: int) -> np.ndarray | None:
    """Per-epoch entropy loss -sum(log sigma) of a VAE+flow prior run: its ``entropy_loss`` column,
    else derived from the posterior entropy column ``entropy`` = D/2 (1 + log 2 pi) + sum(log sigma)."""
    values = _column(run, "entropy_loss")
    if values is None and (entropy := _column(run, "entropy")) is not None:
        values = 0.5 * latent_dim * (1 + math.log(2 * math.pi)) - entropy
    return values


def _final_entropy_loss(results: Results, model: str, dataset: str, latent_dim: int) -> Sample:
    curves = [entropy_loss(r, latent_dim) for r in results.of(model, dataset)]
    return Sample(f"{results.label(model)} final entropy loss", [float(v[-1]) for v in curves if v is not None])


def claim4(results: Results, dataset: str) -> list[tuple[str, str, Finding]]:
    """Claim 4 on Figure 3's dataset: VAE+flow prior's final entropy loss rises with beta (each
    consecutive pair of betas), and per model its training NLL does not over-fit and its tracked
    FID is stable."""
    config = results.config
    priors = figure_models(config, "figure3", "vae_flow_prior")
    fixed = by_beta(config, priors)
    latent_dim = config["datasets"][dataset]["latent_dim"]
    rows = []
    betas = list(fixed)
    steps = [compare_lower(_final_entropy_loss(results, fixed[hi], dataset, latent_dim),
                           _final_entropy_loss(results, fixed[lo], dataset, latent_dim), higher_is_better=True)
             for lo, hi in zip(betas, betas[1:])]
    subject = " < ".join(f"{b:g}" for b in betas) if betas else ""
    rows.append(("larger beta, higher entropy loss", f"beta {subject}", all_of(steps) if len(betas) >= 2 else
                 Finding(UNKNOWN, "fewer than two fixed betas of VAE+flow prior in figure3")))
    for model in priors:
        rows.append(("NLL does not over-fit", results.label(model),
                     per_seed(results, model, dataset, _negated(nll_overfits(latent_dim)), "training NLL")))
        rows.append(("FID neither diverges nor fluctuates", results.label(model),
                     per_seed(results, model, dataset, _negated(fid_unstable), "tracked FID")))
    return rows


def claim5(results: Results, dataset: str) -> list[tuple[str, str, Finding]]:
    """Claim 5 on Figure 4's dataset, per regularized GLF model: latents shrink, log-det grows, NLL
    over-fits, tracked FID unstable, final FID above GLF's at the same beta (else Table 1's GLF)."""
    config = results.config
    regularized = figure_models(config, "figure4", "regularized_glf")
    glfs = by_beta(config, figure_models(config, "figure3", "glf") + [m for m in config["table1"]["models"]
                                                                         if config["models"][m]["method"] == "glf"])
    latent_dim = config["datasets"][dataset]["latent_dim"]
    rows = []
    for model in regularized:
        label = results.label(model)
        rows.append(("latents shrink", label, per_seed(results, model, dataset, falls("z_norm"), "latent norm")))
        rows.append(("log-det grows", label, per_seed(results, model, dataset, rises("log_det"), "log-det")))
        rows.append(("NLL over-fits", label, per_seed(results, model, dataset, nll_overfits(latent_dim), "training NLL")))
        rows.append(("FID fluctuates or diverges", label, per_seed(results, model, dataset, fid_unstable, "tracked FID")))
        glf = glfs.get(beta_of(config, model)) or table1_model(config, "glf")
        if glf is None:
            rows.append(("final FID above GLF's", label, Finding(UNKNOWN, "no GLF model in this preset")))
            continue
        rows.append(("final FID above GLF's", label, compare_lower(metric_sample(results, glf, dataset, "fid"),
                                                                    metric_sample(results, model, dataset, "fid"))))
    return rows or [("", "", Finding(UNKNOWN, "no regularized GLF model in figure4"))]


def _training_cost(results: Results, model: str, dataset: str, key: str) -> Sample:
    values = []
    for run in results.of(model, dataset):
        if run.log is None:
            continue
        logs = [log for log in (run.log, run.stage2_log) if log is not None]
        if key == "seconds" and any("seconds" not in log.columns for log in logs):
            continue
        values.append(float(sum(len(log) if key == "epochs" else log["seconds"].sum() for log in logs)))
    return Sample(f"{results.label(model)} {key}", values)


def claim6(results: Results, dataset: str) -> list[tuple[str, str, Finding]]:
    """Claim 6 on ``dataset``: GLF's total epochs (both stages' logs) and training seconds vs
    Two-Stage VAE's and GLANN's."""
    config = results.config
    glf = table1_model(config, "glf")
    rows = []
    for method in ("two_stage_vae", "glann"):
        other = table1_model(config, method)
        subject = f"GLF vs {results.label(other) if other else method}"
        if glf is None or other is None:
            rows.append(("", subject, Finding(UNKNOWN, f"{'GLF' if glf is None else method} is not a Table 1 model of this preset")))
            continue
        rows.append(("fewer epochs", subject, compare_lower(_training_cost(results, glf, dataset, "epochs"),
                                                            _training_cost(results, other, dataset, "epochs"), digits=0)))
        rows.append(("less training time", subject, compare_lower(_training_cost(results, glf, dataset, "seconds"),
                                                                  _training_cost(results, other, dataset, "seconds"), digits=1)))
    return rows


def claim7(results: Results, dataset: str) -> list[tuple[str, str, Finding]]:
    """Claim 7 on ``dataset``: GLF's F_8 and F_1/8 vs each Table 1 model without perceptual loss."""
    config = results.config
    glf = table1_model(config, "glf")
    if glf is None:
        return [("", "GLF", Finding(UNKNOWN, "GLF is not a Table 1 model of this preset"))]
    rows = []
    for other in config["table1"]["models"]:
        if other == glf or config["models"][other]["method"] == "glf" or uses_perceptual(config, other):
            continue
        for key in ("prd_f8", "prd_f1_8"):
            rows.append((key, f"GLF vs {results.label(other)}",
                         compare_lower(metric_sample(results, glf, dataset, key),
                                       metric_sample(results, other, dataset, key), higher_is_better=True, digits=3)))
    return rows


TABLE1_CLAIMS = {"1": claim1, "2": claim2, "6": claim6, "7": claim7}
FIGURE_CLAIMS = {"3": ("figure3", claim3), "4": ("figure3", claim4), "5": ("figure4", claim5)}
COLUMNS = ["claim", "part", "dataset", "subject", "evidence", "verdict"]


def check_claims(results: Results) -> pd.DataFrame:
    """One row per checked part (columns :data:`COLUMNS`), plus one row per (claim, dataset)
    with part ``overall`` combining its parts (see :func:`all_of`), claims in order 1-7."""
    config = results.config
    plans = []
    for claim in CLAIMS:
        if claim in TABLE1_CLAIMS:
            plans += [(claim, d, TABLE1_CLAIMS[claim]) for d in table1_datasets(config)]
        else:
            figure, check = FIGURE_CLAIMS[claim]
            fig = config["figures"].get(figure)
            plans.append((claim, fig["dataset"] if fig else "", check))
    rows = []
    for claim, dataset, check in plans:
        parts = check(results, dataset) if dataset else [("", "", Finding(UNKNOWN, "the preset has no such figure"))]
        overall = all_of([finding for _, _, finding in parts])
        rows.append({"claim": claim, "part": "overall", "dataset": dataset, "subject": CLAIMS[claim],
                     "evidence": "", "verdict": overall.verdict})
        rows += [{"claim": claim, "part": part, "dataset": dataset, "subject": subject,
                  "evidence": finding.evidence, "verdict": finding.verdict} for part, subject, finding in parts]
    return pd.DataFrame(rows, columns=COLUMNS)
