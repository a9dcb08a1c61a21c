"""The noise rule: Welch's test with Welch–Satterthwaite degrees of freedom, the one-seed prediction
test, the margin rule for one seed each, Holm–Bonferroni over a claim's comparisons, and how
diverged seeds count; p values checked against scipy."""
import json
import math

import numpy as np
import pytest
from scipy import stats

from benchmark import claims, paths, results
from benchmark.claim_statistics import (
    ALPHA,
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
    MARGIN_RULE,
    ONE_SEED,
    WELCH,
    difference_se,
    t_test,
)
from benchmark.config import validate_config
from benchmark.results import Summary
from benchmark.results import Summary as Sample
from scipy.stats import t as scipy_t


def test_welch_matches_scipy_and_uses_satterthwaite_dof():
    a, b = Summary("a", [20.0, 20.2, 19.9, 20.1]), Summary("b", [22.0, 25.0, 19.0])
    t, dof, p = t_test(a, b)
    reference = stats.ttest_ind(a.values, b.values, equal_var=False)
    assert t == pytest.approx(reference.statistic) and p == pytest.approx(reference.pvalue)
    va, vb = a.std ** 2 / a.n, b.std ** 2 / b.n
    assert dof == pytest.approx((va + vb) ** 2 / (va ** 2 / 3 + vb ** 2 / 2))
    assert dof < 3 + 2  # the pooled sum would overstate the certainty of the noisy side


def test_three_seeds_against_three_is_welchs_test_as_scipy_computes_it():
    a, b = Summary("a", [67.9, 70.1, 66.2]), Summary("b", [74.0, 76.5, 71.9])
    t, dof, p = t_test(a, b)
    reference = stats.ttest_ind(a.values, b.values, equal_var=False)
    assert (t, p) == (pytest.approx(reference.statistic), pytest.approx(reference.pvalue))
    finding = compare_lower(a, b)
    assert f"{WELCH} t {abs(t):.2f} ({dof:.1f} dof), p {p:.3g}" in finding.evidence


def test_one_seed_against_three_is_the_prediction_test_with_the_samples_own_dof():
    """One new observation x against a sample of n: t = (x - mean) / (s sqrt(1 + 1/n)), n - 1 dof,
    which is scipy's pooled two-sample test of [x] against the sample (its pooled variance is the
    sample's own, and its dof n + 1 - 2 = n - 1); never Welch with a borrowed spread."""
    one, three = Summary("a", [20.0]), Summary("b", [22.0, 22.5, 23.0])
    t, dof, p = t_test(one, three)
    reference = stats.ttest_ind(one.values, three.values, equal_var=True)
    assert t == pytest.approx(reference.statistic) and p == pytest.approx(reference.pvalue)
    assert t == pytest.approx(-2.5 / (0.5 * (1 + 1 / 3) ** 0.5)) and dof == 2
    assert p == pytest.approx(2 * scipy_t.sf(2.5 / (0.5 * (4 / 3) ** 0.5), 2))
    assert t_test(three, one) == (pytest.approx(-t), 2, pytest.approx(p))  # either side may hold the seed
    finding = compare_lower(one, three)
    assert f"{ONE_SEED} t {abs(t):.2f} (2.0 dof), p {p:.3g}" in finding.evidence


def test_one_seed_each_has_no_test_only_the_margin_rule():
    one, other = Summary("a", [20.0]), Summary("b", [21.0])
    with np.errstate(invalid="ignore", divide="ignore"):
        assert math.isnan(stats.ttest_ind(one.values, other.values).pvalue)  # scipy has no test either
    with pytest.raises(ValueError, match="margin rule"):
        difference_se(one, other)
    within = compare_lower(one, other)
    assert within.verdict == UNKNOWN and within.p_value is None and MARGIN_RULE in within.evidence
    beyond = compare_lower(one, Summary("b", [30.0]))
    assert beyond.verdict == HOLDS and beyond.p_value is None and "gap 10.00 > " + MARGIN_RULE in beyond.evidence


def test_holm_adjusts_each_claims_family_and_names_the_threshold():
    significant = compare_lower(Summary("a", [20.0, 20.1, 20.2]), Summary("b", [20.5, 20.7, 20.9]))
    assert significant.verdict == HOLDS and ALPHA > significant.p_value > ALPHA / 4
    strong = compare_lower(Summary("a", [10.0, 10.1, 10.2]), Summary("b", [30.0, 30.1, 30.2]))
    family = holm([strong, significant, significant, significant])
    assert family[0].verdict == HOLDS and "Holm threshold, 1 of 4" in family[0].evidence
    assert [f.verdict for f in family[1:]] == [UNKNOWN] * 3  # p above 0.05/3 once the family is four
    assert "p >= 0.0167 (Holm threshold, 2 of 4 comparisons)" in family[1].evidence
    assert holm([significant])[0].verdict == HOLDS
    alone = holm([compare_lower(Summary("a", [20.0]), Summary("b", [30.0]))])
    assert alone[0].verdict == HOLDS  # one seed each: the margin rule, no p-value to adjust


def test_partly_diverged_seeds_are_judged_on_the_finished_ones_and_counted():
    a = Summary("GLF", [20.0, 20.5], diverged=1)
    finding = compare_lower(a, Summary("VAE", [30.0, 30.5, 31.0]))
    assert finding.verdict == HOLDS and "(2 seeds, 1 diverged)" in finding.evidence
    everything = compare_lower(Summary("VAE", [30.0, 30.5]), Summary("GLF", [], diverged=3))
    assert everything.verdict == HOLDS and "GLF: diverged" in everything.evidence and "diverged in every seed" in everything.evidence


def test_a_model_diverged_in_one_seed_shows_the_count_in_claim_1(tmp_path):
    config = validate_config({
        "preset": "unit", "data_root": ".", "seeds": [0, 1, 2], "runs_dir": str(tmp_path / "runs"),
        "datasets": {"fashion": {"latent_dim": 20, "flow_width": 64, "epochs": 4}},
        "models": {"glf": {"method": "glf", "label": "GLF"}, "vae": {"method": "vae", "label": "VAE"}},
        "table1": {"models": ["vae", "glf"]}, "evaluation": {"features": "classifier", "num_samples": 500}})
    for model, values in (("glf", [20.0, 20.5, None]), ("vae", [30.0, 31.0, 30.5])):
        for seed, value in enumerate(values):
            path = paths.metrics(config, "fashion", model, seed)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"status": "diverged"} if value is None else {"status": "completed", "fid": value,
                                                                                    "fid_eval": value, "fid_authors": value}))
    table = claims.check_claims(results.load(config))
    row = table[(table.claim == "1") & (table.part != "overall")].iloc[0]
    assert row.verdict == HOLDS and "GLF: 20.25 ± 0.35 (2 seeds, 1 diverged)" in row.evidence
    assert FAILS not in set(table.verdict)


def test_holm_adjusts_the_parts_of_composite_findings():
    """Two comparisons at p 0.03 and 0.04 count one at a time, not as a family of two (Holm:
    the smaller must be below 0.025), also when they sit inside an all_of or a not_better."""
    def tested(p):
        return Finding(UNKNOWN, f"p {p}", p_value=p, basis=f"p {p}")

    alone = holm([tested(0.03)])[0]
    assert alone.verdict == HOLDS
    (combined,) = holm([all_of([tested(0.03), tested(0.04)])])
    assert combined.verdict == UNKNOWN and "Holm threshold, 1 of 2 comparisons" in combined.evidence
    (combined,) = holm([all_of([tested(0.001), tested(0.04)])])
    assert combined.verdict == HOLDS  # 0.001 < 0.025, then 0.04 < 0.05
    worse, equivalent = tested(0.5), tested(0.03)
    decided, _ = holm([not_better(worse, equivalent), tested(0.04)])
    assert decided.verdict == UNKNOWN  # the equivalence no longer counts in a family of three


def test_tost_shows_equivalence_only_with_enough_seeds_and_a_small_gap():
    best = Sample("best", [30.0, 30.5, 31.0])
    assert tost(Sample("a", [30.2, 30.7, 31.2]), best).verdict == HOLDS
    assert tost(Sample("a", [20.0, 36.0, 41.0]), best).verdict == UNKNOWN  # too noisy: low power
    assert tost(Sample("a", [40.0, 40.5, 41.0]), best).verdict == UNKNOWN  # a gap beyond the margin
    one_seed = tost(Sample("a", [30.2]), Sample("best", [30.5]))
    assert one_seed.verdict == UNKNOWN and "one seed each" in one_seed.evidence
    se, dof = difference_se(Sample("a", [30.2, 30.7, 31.2]), best)
    p = max(scipy_t.sf((0.2 + 3.05) / se, dof), scipy_t.cdf((0.2 - 3.05) / se, dof))
    assert f"p {p:.3g}" in tost(Sample("a", [30.2, 30.7, 31.2]), best).evidence
    one = tost(Sample("a", [30.2]), best)  # one seed against three: the prediction test's spread and dof
    se, dof = best.std * (1 + 1 / 3) ** 0.5, 2
    p = max(scipy_t.sf((30.2 - 30.5 + 3.05) / se, dof), scipy_t.cdf((30.2 - 30.5 - 3.05) / se, dof))
    assert f"by {ONE_SEED} (2.0 dof)" in one.evidence and one.p_value == pytest.approx(p)


def test_across_protocols_agrees_or_names_each_answer():
    holds, fails = Finding(HOLDS, "x"), Finding(FAILS, "y")
    assert across_protocols({"eval": holds, "authors": Finding(HOLDS, "x")}).verdict == HOLDS
    split = across_protocols({"eval": holds, "authors": fails})
    assert split.verdict == "depends on protocol (eval: holds; authors: fails)" and split.evidence == "eval: x | authors: y"
    unmeasured = Finding(UNKNOWN, "no tracked FID under authors", measured=False)
    one = across_protocols({"eval": holds, "authors": unmeasured})
    assert one.verdict == HOLDS and one.evidence == "x (measured under eval only)"
