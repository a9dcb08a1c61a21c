"""The paper's claims (../shared/PAPER.md, "The paper's claims") as predicates over run results.

:func:`check_claims` evaluates each claim on a preset's :class:`benchmark.results.Results` and
returns one row per (claim, part, dataset, subject) with the evidence and a verdict:

- ``holds``: the evidence supports the claim beyond the noise;
- ``fails``: the evidence contradicts it beyond the noise;
- ``not enough evidence``: a model the claim needs has no value (the evidence says why: not run,
  not evaluated, too few epochs, ...), or a difference is within the noise;
- ``by protocol``: a statement the preset makes true (claim 6's epochs), reported, not judged;
- ``depends on protocol (eval: ...; authors: ...)``: the two uniform sampling protocols disagree.

Every claim is checked once under each uniform sampling protocol (``eval`` for every model, then
``authors`` for every model), its final FIDs read from the ``fid_eval`` and ``fid_authors`` that
every metrics file stores (never ``fid``, which is the preset's ``evaluation.sampling`` only);
the two are merged part by part by :func:`benchmark.claim_statistics.across_protocols`.  A tracked FID (training logs) exists under
the protocol its run samples with only: it is evidence under that protocol, and a comparison of
tracked FIDs drawn under different protocols is no comparison.

When a difference between two models counts is the noise rule of
:mod:`benchmark.claim_statistics` (Welch's t-test with two or more seeds on each side, the one-seed
prediction test with one against two or more, Holm–Bonferroni over each claim's comparisons, a
margin when neither model has two seeds; no side borrows the other's spread, claim 6's timings
included).  Trajectory claims (a curve that falls,
rises, over-fits or fluctuates) need ``MIN_CURVE_POINTS`` (4) logged points per run and are judged
per seed; the verdict is the seeds' common verdict, ``not enough evidence`` when they disagree.
The thresholds of those trajectories are the module constants below.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd

from benchmark.claim_statistics import (
    BY_PROTOCOL,
    FAILS,
    HOLDS,
    UNKNOWN,
    Finding,
    across_protocols,
    all_of,
    compare_lower,
    holm,
    not_better,
    tost,
)
from benchmark.config import model_param, resolve_run, sampling_protocol, table1_datasets, uses_perceptual
from benchmark.results import DIVERGED, NOT_RUN, Results, Run, Summary
from benchmark.table_format import decimals
from models.sampling import SAMPLING_PROTOCOLS

MIN_CURVE_POINTS = 4
SHRINK = 0.9            # latents "shrink": final z_norm below 0.9 x its first-epoch value
OVERFIT_NATS_PER_DIM = 1.0  # NLL over-fits: at some epoch it is > 1 nat per latent dim below its first epoch's
FLUCTUATION = 0.2       # FID fluctuates: a rise > 20 % of the curve's minimum after the first quarter
DIVERGENCE = 1.5        # FID diverges: final tracked FID > 1.5 x its minimum (or the run diverged)
PROTOCOLS = tuple(sorted(SAMPLING_PROTOCOLS, key=lambda p: p != "eval"))  # eval (the default) first
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
    "7": "GLF has the best (F_8, F_1/8) among the non-perceptual models (Table 6); the suite's own "
         "comparison, not a claim of the paper",
}


def _digits(*summaries: Summary, minimum: int = 2) -> int:
    """Decimals that show every value of ``summaries`` with two significant digits (at least
    ``minimum``): 2 for FIDs around 20, 3 for FIDs around 0.04."""
    return decimals([v for s in summaries for v in s.values], minimum=minimum)


def _compare(a: Summary, b: Summary, higher_is_better: bool = False, digits: int = 2) -> Finding:
    """:func:`benchmark.claim_statistics.compare_lower` with at least ``digits`` decimals, more
    where the values are small (:func:`_digits`)."""
    return compare_lower(a, b, higher_is_better=higher_is_better, digits=_digits(a, b, minimum=digits))


def _equivalent(a: Summary, b: Summary) -> Finding:
    """:func:`benchmark.claim_statistics.tost` with the values' decimals (:func:`_digits`)."""
    return tost(a, b, digits=_digits(a, b))


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

def curve(run: Run, key: str) -> tuple[np.ndarray | None, str]:
    """The run's logged ``key`` per epoch (NaN rows dropped) and ``""``, or ``None`` and why not:
    no such column, or too few epochs (fewer than ``MIN_CURVE_POINTS``)."""
    if run.log is None or key not in run.log.columns:
        return None, f"no '{key}' column in its log"
    values = run.log[key].dropna().to_numpy(dtype=float)
    if len(values) < MIN_CURVE_POINTS:
        return None, f"'{key}': too few epochs ({len(values)} < {MIN_CURVE_POINTS})"
    return values, ""


def _column(run: Run, key: str) -> np.ndarray | None:
    return curve(run, key)[0]


def falls(key: str, factor: float = SHRINK):
    """A check: the last epoch's ``key`` is below ``factor`` x the first epoch's."""
    def check(run: Run):
        values, missing = curve(run, key)
        if values is None:
            return None, missing
        return bool(values[-1] < factor * values[0]), f"{key} {values[0]:.3g} -> {values[-1]:.3g}"
    return check


def rises(key: str):
    """A check: the last epoch's ``key`` is above the first epoch's."""
    def check(run: Run):
        values, missing = curve(run, key)
        if values is None:
            return None, missing
        return bool(values[-1] > values[0]), f"{key} {values[0]:.3g} -> {values[-1]:.3g}"
    return check


def nll_overfits(latent_dim: int):
    """A check: at some epoch the training NLL is below its first epoch's by more than
    ``OVERFIT_NATS_PER_DIM`` x ``latent_dim`` nats (a curve that reaches its floor early and
    stays there counts too)."""
    def check(run: Run):
        values, missing = curve(run, "nll")
        if values is None:
            return None, missing
        threshold = OVERFIT_NATS_PER_DIM * latent_dim
        drop = float(values[0] - values.min())
        return bool(drop > threshold), (f"nll {values[0]:.3g} at the first epoch, lowest {values.min():.3g} "
                                        f"(drop {drop:.3g}; over-fit threshold {threshold:g} nats)")
    return check


def fid_unstable(run: Run):
    """A check: the tracked FID diverges (run diverged, or final > ``DIVERGENCE`` x minimum) or
    fluctuates (a rise > ``FLUCTUATION`` x minimum between two evaluations that lands after the
    first quarter of the curve: with 4 points, any rise into epochs 2-4)."""
    if run.status == "diverged":
        return True, "run diverged"
    values, missing = curve(run, "fid")
    if values is None:
        return None, missing.replace("'fid'", "tracked 'fid'")
    low = values.min()
    tail = values[max(len(values) // 4 - 1, 0):]  # rises that land after the first quarter
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


def baselines(config: dict) -> list[str]:
    """The Table 1 models GLF is compared with in claims 1 and 7: every one without perceptual
    loss whose method is not GLF."""
    return [m for m in config["table1"]["models"]
            if config["models"][m]["method"] != "glf" and not uses_perceptual(config, m)]


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
#
# Each claim takes ``protocol``, the uniform sampling protocol its FIDs are read under: final FIDs
# from the metrics key ``fid_<protocol>``, tracked FIDs only from runs that sample under it.

def fid_key(protocol: str) -> str:
    """The metrics key of the final FID drawn under the sampling ``protocol`` (``fid_eval``, ...)."""
    return f"fid_{protocol}"


def claim1(results: Results, dataset: str, protocol: str) -> list[tuple[str, str, Finding]]:
    """Claim 1 on ``dataset``: GLF's FID vs each Table 1 baseline without perceptual loss.
    Returns ``(part, subject, finding)`` rows."""
    config = results.config
    glf = table1_model(config, "glf")
    if glf is None:
        return [("", "GLF", Finding(UNKNOWN, "GLF is not a Table 1 model of this preset"))]
    ours = results.summary(glf, dataset, fid_key(protocol))
    return [("", f"GLF vs {results.label(b)}", _compare(ours, results.summary(b, dataset, fid_key(protocol))))
            for b in baselines(config)]


def _glann_note(config: dict) -> str:
    """Which GLANN the preset's Table 1 holds: the cited one always, a re-trained one when run."""
    trained = table1_model(config, "glann")
    return ("GLANN in Table 1: the FIDs the paper cites (Hoshen et al. 2019)"
            + (f" and {config['models'][trained].get('label', trained)}" if trained else "; no GLANN of its own in this preset"))


def claim2(results: Results, dataset: str, protocol: str) -> list[tuple[str, str, Finding]]:
    """Claim 2 on ``dataset``: GLF+perceptual's FID vs GLF's; the evidence names the GLANN of Table 1."""
    config = results.config
    glf, perceptual = table1_model(config, "glf"), table1_model(config, "glf_perceptual")
    if glf is None or perceptual is None:
        return [("", "GLF+perceptual vs GLF", Finding(UNKNOWN, "GLF+perceptual or GLF is not a Table 1 model of "
                                                             f"this preset ({_glann_note(config)})"))]
    finding = _compare(results.summary(perceptual, dataset, fid_key(protocol)),
                       results.summary(glf, dataset, fid_key(protocol)))
    return [("", "GLF+perceptual vs GLF", replace(finding, evidence=f"{finding.evidence} ({_glann_note(config)})",
                                                  basis=f"{finding.basis} ({_glann_note(config)})"))]


def _tracked_fid(run: Run) -> pd.Series | None:
    """The run's tracked FID by epoch, ``None`` without 4+ points."""
    if run.log is None or "fid" not in run.log.columns:
        return None
    curve = run.log.dropna(subset=["fid"]).set_index("epoch")["fid"]
    return curve if len(curve) >= MIN_CURVE_POINTS else None


def tracked_under(results: Results, models: list[str], protocol: str) -> Finding | None:
    """``None`` when the models' tracked FIDs are drawn under ``protocol`` (every run tracks under
    the preset's one sampler); else the finding to report instead: unmeasured under this protocol
    (``measured`` False)."""
    if {sampling_protocol(results.config, m) for m in models} != {protocol}:
        return Finding(UNKNOWN, f"no tracked FID under {protocol}", measured=False)
    return None


def mean_tracked_fids(results: Results, models: list[str], dataset: str) -> list[Summary]:
    """Per model, each finished seed's mean tracked FID over the epochs that every run of
    ``models`` tracked (so that a longer run's late, lower FIDs do not count for it)."""
    curves = {m: [(r, _tracked_fid(r)) for r in results.of(m, dataset) if r.status != DIVERGED] for m in models}
    found = [c for pairs in curves.values() for _, c in pairs if c is not None]
    common = sorted(set.intersection(*(set(c.index) for c in found))) if found else []
    label = f"epochs {common[0]}-{common[-1]}" if common else "no common epochs"
    enough = len(common) >= MIN_CURVE_POINTS
    return [Summary(f"{results.label(m)} mean tracked FID ({label})",
                    [float(c.loc[common].mean()) for _, c in curves[m] if c is not None and enough],
                    sum(r.status == DIVERGED for r in results.of(m, dataset)),
                    missing=_no_curve(results, m, dataset, len(common)))
            for m in models]


def _no_curve(results: Results, model: str, dataset: str, common: int) -> str:
    """Why ``model`` has no tracked-FID value to compare: not run, its runs' own reason, or too
    few epochs tracked by every compared run."""
    runs = results.of(model, dataset)
    if not runs:
        return "not run"
    reasons = {curve(r, "fid")[1] for r in runs} - {""}
    return "; ".join(sorted(reasons)) or f"too few epochs tracked by both ({common} < {MIN_CURVE_POINTS})"


def claim3(results: Results, dataset: str, protocol: str) -> list[tuple[str, str, Finding]]:
    """Claim 3 on Figure 3's dataset: per beta, GLF's final and mean tracked FID vs VAE+flow prior's;
    the FID gap (paired by seed) at the largest beta vs the smallest; the learned variance vs the
    best fixed beta ("not effective": no better, :func:`benchmark.claim_statistics.not_better`)."""
    config = results.config
    key = fid_key(protocol)
    glfs = by_beta(config, figure_models(config, "figure3", "glf"))
    priors = figure_models(config, "figure3", "vae_flow_prior")
    fixed = by_beta(config, priors)
    rows, gaps = [], []
    for beta, prior in fixed.items():
        if beta not in glfs:
            continue
        subject = f"beta={beta:g}"
        glf_fid, prior_fid = (results.summary(m, dataset, key) for m in (glfs[beta], prior))
        rows.append(("lower final FID", subject, _compare(glf_fid, prior_fid)))
        pair = [glfs[beta], prior]
        rows.append(("faster convergence (lower mean FID over the epochs both tracked)", subject,
                     tracked_under(results, pair, protocol) or _compare(*mean_tracked_fids(results, pair, dataset))))
        gap = _paired_gap(results, glfs[beta], prior, dataset, key)
        if gap.values:
            gaps.append((beta, gap))
    if not rows:
        rows.append(("lower final FID", "every beta", Finding(UNKNOWN, "no beta has both a GLF and a VAE+flow prior model in figure3")))
    if len(gaps) >= 2:
        (small_beta, small), (large_beta, large) = gaps[0], gaps[-1]
        finding = _compare(large, small)
        rows.append(("gap closes as beta grows", f"beta {small_beta:g} -> {large_beta:g}", finding))
    else:
        rows.append(("gap closes as beta grows", "", Finding(UNKNOWN, "fewer than two betas with both models finished")))
    learned = [m for m in priors if beta_of(config, m) == "learned"]
    if learned and fixed:
        best = min(fixed.values(), key=lambda m: results.summary(m, dataset, key).mean
                   if results.summary(m, dataset, key).values else math.inf)
        ours, theirs = results.summary(learned[0], dataset, key), results.summary(best, dataset, key)
        rows.append(("learnable variance not effective (no better than the best fixed beta)",
                     results.label(learned[0]), not_better(_compare(theirs, ours), _equivalent(ours, theirs))))
    else:
        rows.append(("learnable variance not effective", "", Finding(UNKNOWN, "no learned-variance VAE+flow prior in figure3")))
    return rows


def _paired_gap(results: Results, glf: str, prior: str, dataset: str, key: str) -> Summary:
    """VAE+flow prior's FID (metrics ``key``) minus GLF's, per seed that both finished."""
    def fids(model):
        return {r.seed: float(r.metrics[key]) for r in results.of(model, dataset)
                if r.metrics is not None and r.status == "completed" and key in r.metrics}
    ours, theirs = fids(glf), fids(prior)
    return Summary(f"FID gap {results.label(prior)} - {results.label(glf)}",
                   [theirs[s] - ours[s] for s in sorted(ours.keys() & theirs.keys())])


def entropy_loss(run: Run, latent_dim: int) -> tuple[np.ndarray | None, str]:
    """Per-epoch entropy loss -sum(log sigma) of a VAE+flow prior run and ``""``: its
    ``entropy_loss`` column, else derived from the posterior entropy column ``entropy`` =
    D/2 (1 + log 2 pi) + sum(log sigma); or ``None`` and why not (the ``entropy_loss`` column's
    reason, e.g. ``too few epochs (2 < 4)``)."""
    values, missing = curve(run, "entropy_loss")
    if values is None and (entropy := _column(run, "entropy")) is not None:
        values = 0.5 * latent_dim * (1 + math.log(2 * math.pi)) - entropy
    return values, "" if values is not None else missing


def _final_entropy_loss(results: Results, model: str, dataset: str, latent_dim: int) -> Summary:
    """The final entropy loss of each of ``model``'s runs with a curve; without one, why not:
    ``not run``, or the runs' reasons (seed by seed)."""
    runs = results.of(model, dataset)
    curves = [(run, *entropy_loss(run, latent_dim)) for run in runs]
    reasons = "; ".join(f"seed {run.seed}: {why}" for run, values, why in curves if values is None)
    return Summary(f"{results.label(model)} final entropy loss",
                   [float(values[-1]) for _, values, _ in curves if values is not None],
                   missing=reasons if runs else NOT_RUN)


def claim4(results: Results, dataset: str, protocol: str) -> list[tuple[str, str, Finding]]:
    """Claim 4 on Figure 3's dataset: VAE+flow prior's final entropy loss rises with beta (each
    consecutive pair of betas), and per model its training NLL does not over-fit and its tracked
    FID is stable (each run's own curve, under the protocol it samples with)."""
    config = results.config
    priors = figure_models(config, "figure3", "vae_flow_prior")
    fixed = by_beta(config, priors)
    latent_dim = config["datasets"][dataset]["latent_dim"]
    rows = []
    betas = list(fixed)
    steps = [_compare(_final_entropy_loss(results, fixed[hi], dataset, latent_dim),
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


def claim5(results: Results, dataset: str, protocol: str) -> list[tuple[str, str, Finding]]:
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
        rows.append(("final FID above GLF's", label, _compare(results.summary(glf, dataset, fid_key(protocol)),
                                                               results.summary(model, dataset, fid_key(protocol)))))
    return rows or [("", "", Finding(UNKNOWN, "no regularized GLF model in figure4"))]


def untracked_reason(results: Results, model: str) -> str:
    """Why epochs-to-plateau cannot be measured for ``model``, a two-stage method (claim 6)."""
    return (f"{results.label(model)} samples through a second stage trained after its first, so its FID cannot be "
            f"tracked per epoch (a tracked FID of its first stage alone is not its FID, and the suite does not "
            f"train a second stage at every checkpoint)")


def _set_epochs(results: Results, model: str, dataset: str) -> str:
    """The epochs the preset sets for ``model`` (both stages), as the protocol states them."""
    run = resolve_run(results.config, model, dataset, results.config["seeds"][0])
    second = f" + {run.second_stage.epochs}" if run.second_stage else ""
    return f"{results.label(model)}: {run.train.epochs}{second} epochs"


def claim6(results: Results, dataset: str, protocol: str) -> list[tuple[str, str, Finding]]:
    """Claim 6 on ``dataset``, GLF vs Two-Stage VAE and GLANN: the epochs each is given (set by
    the preset: reported as the protocol's statement, not judged), the epochs each needs to reach
    its FID plateau (undecidable, and why: :func:`untracked_reason`) and the measured seconds per
    epoch.  Only a GLANN trained here has logs; the cited GLANN (Hoshen et al. 2019) has none."""
    config = results.config
    glf = table1_model(config, "glf")
    rows = []
    for method in ("two_stage_vae", "glann"):
        other = table1_model(config, method)
        subject = f"GLF vs {results.label(other) if other else method}"
        if glf is None or other is None:
            missing = "GLF" if glf is None else ("a GLANN trained here" if method == "glann" else method)
            note = "; the cited GLANN (Table 1) has no training logs" if method == "glann" else ""
            rows.append(("", subject, Finding(UNKNOWN, f"{missing} is not a Table 1 model of this preset{note}")))
            continue
        rows.append(("fewer epochs", subject, Finding(BY_PROTOCOL, f"set by preset {config['preset']}: "
                     f"{_set_epochs(results, glf, dataset)}; {_set_epochs(results, other, dataset)}")))
        rows.append(("fewer epochs to reach its FID plateau", subject,
                     Finding(UNKNOWN, f"cannot be decided: {untracked_reason(results, other)}")))
        rows.append(("less time per epoch", subject,
                     _compare(results.seconds_per_epoch(glf, dataset), results.seconds_per_epoch(other, dataset),
                              digits=1)))
    return rows


def claim7(results: Results, dataset: str, protocol: str) -> list[tuple[str, str, Finding]]:
    """Claim 7 on ``dataset``: GLF's F_8 and F_1/8 vs each Table 1 model without perceptual loss
    (PRD as each run's metrics file records it)."""
    config = results.config
    glf = table1_model(config, "glf")
    if glf is None:
        return [("", "GLF", Finding(UNKNOWN, "GLF is not a Table 1 model of this preset"))]
    rows = []
    for other in baselines(config):
        for key in ("prd_f8", "prd_f1_8"):
            rows.append((key, f"GLF vs {results.label(other)}",
                         _compare(results.summary(glf, dataset, key),
                                  results.summary(other, dataset, key), higher_is_better=True, digits=3)))
    return rows


TABLE1_CLAIMS = {"1": claim1, "2": claim2, "6": claim6, "7": claim7}
FIGURE_CLAIMS = {"3": ("figure3", claim3), "4": ("figure3", claim4), "5": ("figure4", claim5)}
COLUMNS = ["claim", "part", "dataset", "subject", "evidence", "verdict"]


def _checked(results: Results, plans: list, claim: str, protocol: str) -> list[tuple[str, str, str, Finding]]:
    """``(dataset, part, subject, finding)`` of every part of ``claim`` under ``protocol``, the
    claim's comparisons over all its datasets adjusted together (Holm–Bonferroni)."""
    checked = [(dataset, part, subject, finding) for c, dataset, check in plans if c == claim
               for part, subject, finding in (check(results, dataset, protocol) if dataset else
                                              [("", "", Finding(UNKNOWN, "the preset has no such figure"))])]
    adjusted = holm([finding for *_, finding in checked])
    return [(d, part, subject, f) for (d, part, subject, _), f in zip(checked, adjusted)]


def _measured(by_protocol: dict, protocol: str, i: int) -> Finding:
    """Part ``i`` under ``protocol``, or, when it has no data under it, under a protocol that has
    (so that an overall verdict is not undecided for want of data the other protocol holds)."""
    finding = by_protocol[protocol][i][3]
    if finding.measured:
        return finding
    return next((parts[i][3] for parts in by_protocol.values() if parts[i][3].measured), finding)


def check_claims(results: Results) -> pd.DataFrame:
    """One row per checked part (columns :data:`COLUMNS`), plus one row per (claim, dataset)
    with part ``overall`` combining its parts (see :func:`all_of`), claims in order 1-7.  Each
    claim is checked under every uniform sampling protocol (:data:`PROTOCOLS`), the comparisons
    of one claim under one protocol, over all its datasets, one Holm–Bonferroni family; parts and
    overall verdicts are then merged across protocols (:func:`across_protocols`)."""
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
    for claim in CLAIMS:
        by_protocol = {p: _checked(results, plans, claim, p) for p in PROTOCOLS}
        first = by_protocol[PROTOCOLS[0]]
        if any(len(parts) != len(first) for parts in by_protocol.values()):
            raise RuntimeError(f"claim {claim} has different parts under the sampling protocols; each check must "
                               f"list the same parts whatever the protocol")
        for dataset in dict.fromkeys(d for d, *_ in first):
            at = [i for i, (d, *_) in enumerate(first) if d == dataset]
            overall = across_protocols({p: all_of([_measured(by_protocol, p, i) for i in at]) for p in by_protocol})
            rows.append({"claim": claim, "part": "overall", "dataset": dataset, "subject": CLAIMS[claim],
                         "evidence": "", "verdict": overall.verdict})
            for i in at:
                _, part, subject, _ = first[i]
                merged = across_protocols({p: parts[i][3] for p, parts in by_protocol.items()})
                rows.append({"claim": claim, "part": part, "dataset": dataset, "subject": subject,
                             "evidence": merged.evidence, "verdict": merged.verdict})
    return pd.DataFrame(rows, columns=COLUMNS)
