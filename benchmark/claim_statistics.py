"""The noise rule of the claims: when a difference between two models' seeds counts.

A comparison of a metric between two models (each a :class:`benchmark.results.Summary` over its
finished seeds) is a t test of the gap between their means, chosen by their seed counts
(:func:`test_name`): with two or more seeds on each side, Welch's t-test (``t = gap /
sqrt(s_a^2/n_a + s_b^2/n_b)``, ``s`` the seeds' standard deviation with ddof 1, Welch–Satterthwaite
degrees of freedom); with one seed against n >= 2, the test of one new observation against a
sample (``t = (x - mean) / (s sqrt(1 + 1/n))``, n - 1 degrees of freedom: the spread is the
sample's own, estimated once).  No side ever borrows the other's spread.  With one seed each
there is no spread and no test: only a gap larger than ``SINGLE_SEED_MARGIN`` (10 %) of the
larger mean counts (the margin rule; the paper's seed-to-seed FID spread is 1-8 % of the mean).
A gap never counts below ``MIN_MARGIN`` (1 %) of the larger mean.

The comparisons of one claim are one family: :func:`holm` adjusts their p-values by
Holm–Bonferroni so that the claim's family-wise error stays at ``1 - CONFIDENCE``, the parts of
composite findings (:func:`all_of`, :func:`not_better`) included, and each finding's evidence
prints the threshold its p-value met or missed.

"No better" (a learnable variance that is not effective) is shown by an equivalence test,
:func:`tost` (two one-sided tests, each the comparison's t test, at a margin of ``EQUIVALENCE_MARGIN`` of the reference's
mean), or by a difference the wrong way beyond the noise; without either the evidence is too
weak (low power) and the verdict is ``not enough evidence``.

A finding about FIDs is decided under each uniform sampling protocol (:func:`across_protocols`):
``holds`` or ``fails`` only when the protocols agree, else :data:`DEPENDS` naming each answer.

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
DEPENDS = "depends on protocol"  # the sampling protocols disagree; the verdict names each answer
CONFIDENCE = 0.95
ALPHA = 1 - CONFIDENCE
SINGLE_SEED_MARGIN = 0.10
MIN_MARGIN = 0.01
EQUIVALENCE_MARGIN = 0.10  # TOST: "no better" within 10 % of the reference's mean


@dataclass(frozen=True)
class Finding:
    """One checked statement: a verdict and the numbers behind it.  A tested comparison keeps
    its two-sided ``p_value`` and ``right_way`` (the gap's sign favours the statement), so that
    :func:`holm` can decide it within its claim's family; ``within_noise`` marks a gap that did
    not count."""

    verdict: str
    evidence: str
    within_noise: bool = False
    p_value: float | None = None
    right_way: bool = True
    basis: str = ""  # the evidence before its threshold note (tested comparisons)
    parts: tuple[Finding, ...] = ()  # a composite's parts, combined by its ``rule`` (see COMBINE)
    rule: str = ""
    measured: bool = True  # False: no data under this sampling protocol (see across_protocols)


WELCH = "Welch's t-test"
ONE_SEED = "one-seed prediction t-test"
MARGIN_RULE = "one-seed margin rule"
TESTS = (WELCH, ONE_SEED, MARGIN_RULE)


def test_name(a: Summary, b: Summary) -> str:
    """The test that compares ``a`` and ``b`` (each with a value): :data:`WELCH` with two or more
    seeds on each side, :data:`ONE_SEED` with one seed against two or more, else
    :data:`MARGIN_RULE` (one seed each: no spread, no test)."""
    if a.n > 1 and b.n > 1:
        return WELCH
    return ONE_SEED if max(a.n, b.n) > 1 else MARGIN_RULE


def difference_se(a: Summary, b: Summary) -> tuple[float, float]:
    """``(standard error, degrees of freedom)`` of ``a.mean - b.mean`` under :func:`test_name`'s
    test: Welch's (Welch–Satterthwaite dof) or, one seed ``x`` against a sample of n, the
    prediction error ``s sqrt(1 + 1/n)`` with n - 1 dof.  Raises ``ValueError`` with one seed each."""
    name = test_name(a, b)
    if name == MARGIN_RULE:
        raise ValueError("no t test with one seed on each side: the margin rule decides")
    if name == ONE_SEED:
        sample = a if a.n > 1 else b
        return sample.std * math.sqrt(1 + 1 / sample.n), float(sample.n - 1)
    terms = [(side.std ** 2 / side.n, side.n - 1) for side in (a, b)]
    variance = sum(v for v, _ in terms)
    if variance == 0:
        return 0.0, math.inf
    return math.sqrt(variance), variance ** 2 / sum(v ** 2 / d for v, d in terms if v > 0)


def t_test(a: Summary, b: Summary) -> tuple[float, float, float]:
    """``(t, dof, p)`` of :func:`test_name`'s test of ``a.mean - b.mean`` (two-sided ``p``); see
    :func:`difference_se`."""
    se, dof = difference_se(a, b)
    gap = a.mean - b.mean
    if se == 0:
        return (math.inf if gap else 0.0) * (1 if gap >= 0 else -1), dof, 0.0 if gap else 1.0
    t = gap / se
    return t, dof, float(2 * student_t.sf(abs(t), dof))


def tost(a: Summary, b: Summary, digits: int = 2) -> Finding:
    """Whether ``a`` and ``b`` are equivalent within ± ``EQUIVALENCE_MARGIN`` x ``b.mean`` by two
    one-sided tests (TOST; each :func:`t_test`'s test, one-sided; p = the larger one-sided p), at
    the single-comparison level
    (:func:`holm` re-decides it).  ``not enough evidence`` without a spread (one seed each) or
    a value."""
    text = f"{a.describe(digits)} vs {b.describe(digits)}"
    if not a.values or not b.values:
        return Finding(UNKNOWN, f"{text}; no equivalence test without values on both sides")
    margin = EQUIVALENCE_MARGIN * abs(b.mean)
    how = f"equivalence (TOST) within ±{margin:.{digits}f} ({EQUIVALENCE_MARGIN:.0%} of {b.name}'s mean)"
    name = test_name(a, b)
    if name == MARGIN_RULE:
        return Finding(UNKNOWN, f"{text}; one seed each: no spread for an {how}", within_noise=True)
    se, dof = difference_se(a, b)
    gap = a.mean - b.mean
    if se == 0:
        p = 0.0 if abs(gap) < margin else 1.0
    else:
        p = float(max(student_t.sf((gap + margin) / se, dof), student_t.cdf((gap - margin) / se, dof)))
    evidence = f"{text}; {how} by {name} ({dof:.1f} dof): gap {gap:+.{digits}f}, p {p:.3g}"
    return _decide(Finding(UNKNOWN, evidence, p_value=p, basis=evidence), ALPHA, "one comparison", True)


def compare_lower(a: Summary, b: Summary, higher_is_better: bool = False, digits: int = 2) -> Finding:
    """Whether ``a`` is better than ``b`` (lower, or higher with ``higher_is_better``) beyond the
    noise, at the single-comparison level (:func:`holm` re-decides it within its claim)."""
    text = f"{a.describe(digits)} vs {b.describe(digits)}"
    if not a.values or not b.values:
        if a.values and b.diverged:
            return Finding(HOLDS, f"{text}; {b.name} diverged in every seed")
        if b.values and a.diverged:
            return Finding(FAILS, f"{text}; {a.name} diverged in every seed")
        return Finding(UNKNOWN, f"{text}; no value to compare")
    gap = (a.mean - b.mean) * (-1 if higher_is_better else 1)
    scale = max(abs(a.mean), abs(b.mean))
    right_way = gap < 0
    if a.n < 2 and b.n < 2:
        band = SINGLE_SEED_MARGIN * scale
        how = (f"{MARGIN_RULE} (one seed each, no test): margin {SINGLE_SEED_MARGIN:.0%} of the larger mean "
               f"({band:.{digits}f})")
        if abs(gap) > band:
            return Finding(HOLDS if right_way else FAILS,
                           f"{text}; gap {abs(gap):.{digits}f}{'' if right_way else ' the wrong way'} > {how}",
                           right_way=right_way)
        return Finding(UNKNOWN, f"{text}; gap {abs(gap):.{digits}f} within {how}", within_noise=True)
    t, dof, p = t_test(a, b)
    floor = MIN_MARGIN * scale
    evidence = (f"{text}; gap {abs(gap):.{digits}f}{'' if right_way else ' the wrong way'}, "
                f"{test_name(a, b)} t {abs(t):.2f} ({dof:.1f} dof), p {p:.3g}")
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
    """The findings (one claim's family) with each tested comparison, composites' parts included,
    re-decided by Holm–Bonferroni at family-wise level ``ALPHA``: the k-th smallest of the m
    p-values counts when it and every smaller one are below ``ALPHA / (m - k + 1)``; untested
    findings are returned as they are, composites recombined from their adjusted parts."""
    leaves = [[*f.parts] if f.parts else [f] for f in findings]
    tested = sorted((leaf.p_value, i, j) for i, group in enumerate(leaves)
                    for j, leaf in enumerate(group) if leaf.p_value is not None)
    m, rejecting = len(tested), True
    for k, (p, i, j) in enumerate(tested):
        threshold = ALPHA / (m - k)
        rejecting = rejecting and p < threshold
        leaves[i][j] = _decide(leaves[i][j], threshold, f"Holm threshold, {k + 1} of {m} comparisons", rejecting)
    return [COMBINE[f.rule](group) if f.parts else group[0] for f, group in zip(findings, leaves)]


def all_of(findings: list[Finding]) -> Finding:
    """``fails`` when any part fails, ``holds`` when all hold, else ``not enough evidence``;
    parts true by protocol take no part.  The parts are kept (:func:`holm` adjusts them)."""
    judged = [f for f in findings if f.verdict != BY_PROTOCOL]
    if not judged:
        return Finding(UNKNOWN, "nothing to compare: the models are not in this preset")
    verdicts = {f.verdict for f in judged}
    verdict = FAILS if FAILS in verdicts else HOLDS if verdicts == {HOLDS} else UNKNOWN
    return Finding(verdict, "; ".join(f.evidence for f in judged), parts=tuple(judged), rule="all_of")


def not_better(worse: Finding, equivalent: Finding) -> Finding:
    """"A is no better than B" from ``worse`` (B better than A beyond the noise:
    :func:`compare_lower` of B vs A) and ``equivalent`` (:func:`tost` of A and B): ``fails``
    when A is better beyond the noise, ``holds`` when A is worse beyond it or equivalent within
    the margin, else ``not enough evidence`` (too little power for either)."""
    if worse.verdict == FAILS:
        verdict, why = FAILS, "better beyond the noise"
    elif HOLDS in (worse.verdict, equivalent.verdict):
        verdict, why = HOLDS, "worse beyond the noise" if worse.verdict == HOLDS else "equivalent within the margin"
    else:
        verdict, why = UNKNOWN, "neither worse beyond the noise nor shown equivalent: too little power"
    return Finding(verdict, f"{why}. {worse.evidence}; {equivalent.evidence}", parts=(worse, equivalent),
                   rule="not_better")


COMBINE = {"all_of": all_of, "not_better": lambda parts: not_better(*parts)}


def across_protocols(findings: dict[str, Finding]) -> Finding:
    """One finding from the same finding under each sampling protocol (``{protocol: finding}``):
    the common verdict when every protocol with data (``measured``) agrees, else :data:`DEPENDS`
    naming each protocol's verdict; the evidence once when it is the same, else per protocol."""
    measured = {p: f for p, f in findings.items() if f.measured} or findings
    verdicts = {p: f.verdict for p, f in measured.items()}
    evidences = {f.evidence for f in measured.values()}
    evidence = next(iter(evidences)) if len(evidences) == 1 else " | ".join(
        f"{p}: {f.evidence}" for p, f in measured.items())
    if len(measured) < len(findings):
        evidence += f" (measured under {', '.join(measured)} only)"
    if len(set(verdicts.values())) == 1:
        return Finding(next(iter(verdicts.values())), evidence)
    return Finding(f"{DEPENDS} ({'; '.join(f'{p}: {v}' for p, v in verdicts.items())})", evidence)
