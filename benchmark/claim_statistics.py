"""The noise rule of the claims: when a difference between two models' seeds counts.

A comparison of a metric between two models (each a :class:`benchmark.results.Summary` over its
finished seeds) is Welch's t-test: ``t = gap / sqrt(s_a^2/n_a + s_b^2/n_b)`` with ``s`` the seeds'
standard deviation (ddof 1) and the Welch–Satterthwaite degrees of freedom.  A model with a single
seed borrows the other's spread (and its degrees of freedom).  When neither has two seeds the
spread is unknown: only a gap larger than ``SINGLE_SEED_MARGIN`` (10 %) of the larger mean counts
(the paper's seed-to-seed FID spread is 1-8 % of the mean).  A gap never counts below
``MIN_MARGIN`` (1 %) of the larger mean.

The comparisons of one claim are one family: :func:`holm` adjusts their two-sided p-values by
Holm–Bonferroni so that the claim's family-wise error stays at ``1 - CONFIDENCE``, and each
finding's evidence prints the threshold its p-value met or missed.

A model with diverged seeds is judged on its finished seeds, the diverged count shown; a model
whose every seed diverged loses to a finished one, its evidence saying "diverged".
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

from scipy.stats import t as student_t

from benchmark.results import Summary

HOLDS, FAILS, UNKNOWN = "holds", "fails", "not enough evidence"
BY_PROTOCOL = "by protocol"  # a statement the preset makes true; no verdict on the evidence
CONFIDENCE = 0.95
ALPHA = 1 - CONFIDENCE
SINGLE_SEED_MARGIN = 0.10
MIN_MARGIN = 0.01


@dataclass(frozen=True)
class Finding:
    """One checked statement: a verdict and the numbers behind it.  A Welch comparison keeps
    its two-sided ``p_value`` and ``right_way`` (the gap's sign favours the statement), so that
    :func:`holm` can decide it within its claim's family; ``within_noise`` marks a gap that did
    not count."""

    verdict: str
    evidence: str
    within_noise: bool = False
    p_value: float | None = None
    right_way: bool = True
    basis: str = ""  # the evidence before its threshold note (Welch comparisons)


def welch(a: Summary, b: Summary) -> tuple[float, float, float]:
    """``(t, dof, p)`` of Welch's test of ``a.mean - b.mean`` (two-sided ``p``); a side with one
    seed borrows the other's spread and degrees of freedom.  Needs two seeds on one side at least."""
    spread = {id(s): s.std for s in (a, b) if s.n > 1}
    if not spread:
        raise ValueError("Welch's test needs a side with two or more seeds")
    donor = a if a.n > 1 else b
    terms = []
    for side in (a, b):
        source = side if side.n > 1 else donor
        terms.append((spread[id(source)] ** 2 / side.n, source.n - 1))
    variance = sum(v for v, _ in terms)
    se = math.sqrt(variance)
    gap = a.mean - b.mean
    if se == 0:
        return (math.inf if gap else 0.0) * (1 if gap >= 0 else -1), math.inf, 0.0 if gap else 1.0
    dof = variance ** 2 / sum(v ** 2 / d for v, d in terms if v > 0)
    t = gap / se
    return t, dof, float(2 * student_t.sf(abs(t), dof))


def compare_lower(a: Summary, b: Summary, higher_is_better: bool = False, digits: int = 2) -> Finding:
    """Whether ``a`` is better than ``b`` (lower, or higher with ``higher_is_better``) beyond the
    noise, at the single-comparison level (:func:`holm` re-decides it within its claim)."""
    text = f"{a.describe(digits)} vs {b.describe(digits)}"
    if not a.values or not b.values:
        if a.values and b.diverged:
            return Finding(HOLDS, f"{text}; {b.name} diverged in every seed")
        if b.values and a.diverged:
            return Finding(FAILS, f"{text}; {a.name} diverged in every seed")
        return Finding(UNKNOWN, f"{text}; a run is missing")
    gap = (a.mean - b.mean) * (-1 if higher_is_better else 1)
    scale = max(abs(a.mean), abs(b.mean))
    right_way = gap < 0
    if a.n < 2 and b.n < 2:
        band = SINGLE_SEED_MARGIN * scale
        how = f"one seed each: margin {SINGLE_SEED_MARGIN:.0%} of the larger mean ({band:.{digits}f})"
        if abs(gap) > band:
            return Finding(HOLDS if right_way else FAILS,
                           f"{text}; gap {abs(gap):.{digits}f}{'' if right_way else ' the wrong way'} > {how}",
                           right_way=right_way)
        return Finding(UNKNOWN, f"{text}; gap {abs(gap):.{digits}f} within {how}", within_noise=True)
    t, dof, p = welch(a, b)
    floor = MIN_MARGIN * scale
    evidence = (f"{text}; gap {abs(gap):.{digits}f}{'' if right_way else ' the wrong way'}, "
                f"Welch t {abs(t):.2f} ({dof:.1f} dof), p {p:.3g}")
    if abs(gap) <= floor:
        return Finding(UNKNOWN, f"{evidence}; within the {MIN_MARGIN:.0%} floor ({floor:.{digits}f})", within_noise=True)
    return _decide(Finding(UNKNOWN, evidence, p_value=p, right_way=right_way, basis=evidence), ALPHA, "one comparison", True)


def _decide(finding: Finding, threshold: float, family: str, allowed: bool) -> Finding:
    """The finding decided at ``threshold``: it counts when its p-value is below it and
    ``allowed`` (Holm's step-down has not stopped); the threshold is named in its evidence."""
    below = finding.p_value < threshold
    counts = below and allowed
    note = f"p {'<' if below else '>='} {threshold:.3g} ({family})"
    if below and not allowed:
        note += ", not counted: a smaller p-value of the claim did not count"
    return replace(finding, verdict=(HOLDS if finding.right_way else FAILS) if counts else UNKNOWN,
                   within_noise=not counts, evidence=f"{finding.basis}; {note}")


def holm(findings: list[Finding]) -> list[Finding]:
    """The findings (one claim's family) with each Welch comparison re-decided by Holm–Bonferroni
    at family-wise level ``ALPHA``: the k-th smallest of the m p-values counts when it and every
    smaller one are below ``ALPHA / (m - k + 1)``; the others are returned as they are."""
    tested = sorted((f.p_value, i) for i, f in enumerate(findings) if f.p_value is not None)
    adjusted = list(findings)
    m, rejecting = len(tested), True
    for k, (p, i) in enumerate(tested):
        threshold = ALPHA / (m - k)
        rejecting = rejecting and p < threshold
        adjusted[i] = _decide(findings[i], threshold, f"Holm threshold, {k + 1} of {m} comparisons", rejecting)
    return adjusted


def all_of(findings: list[Finding]) -> Finding:
    """``fails`` when any part fails, ``holds`` when all hold, else ``not enough evidence``;
    parts true by protocol take no part."""
    judged = [f for f in findings if f.verdict != BY_PROTOCOL]
    if not judged:
        return Finding(UNKNOWN, "nothing to compare: the models are not in this preset")
    verdicts = {f.verdict for f in judged}
    verdict = FAILS if FAILS in verdicts else HOLDS if verdicts == {HOLDS} else UNKNOWN
    return Finding(verdict, "; ".join(f.evidence for f in judged))
