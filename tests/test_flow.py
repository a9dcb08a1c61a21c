import pytest
import torch

from models.flow import SCALE_CLAMP, SUBNETS, RealNVP, standard_normal_log_prob

both_subnets = pytest.mark.parametrize("subnets", SUBNETS)


def _trained_like_flow(dim=6, width=16, subnets="separate"):
    torch.manual_seed(0)
    flow = RealNVP(dim, width, subnets=subnets)
    # Push the BN statistics and weights away from their initial values so the test is not trivial.
    flow.train()
    with torch.no_grad():
        for p in flow.parameters():
            p.add_(0.3 * torch.randn_like(p))
        for _ in range(5):
            flow(torch.randn(64, dim) * 2 + 1)
    return flow.eval().double()


@both_subnets
def test_inverse_recovers_input(subnets):
    flow = _trained_like_flow(subnets=subnets)
    z = torch.randn(32, 6, dtype=torch.float64) * 3
    eps, _ = flow(z)
    assert not torch.allclose(eps, z, atol=1e-2)
    assert torch.allclose(flow.inverse(eps), z, atol=1e-5)
    assert torch.allclose(flow(flow.inverse(z))[0], z, atol=1e-5)


@both_subnets
def test_inverse_is_exact_in_float32_too(subnets):
    flow = _trained_like_flow(subnets=subnets).float()
    z = torch.randn(128, 6)
    assert torch.allclose(flow.inverse(flow(z)[0]), z, atol=1e-5, rtol=1e-5)


@both_subnets
def test_log_det_matches_autograd_jacobian(subnets):
    flow = _trained_like_flow(dim=5, width=8, subnets=subnets)
    for _ in range(3):
        z = torch.randn(1, 5, dtype=torch.float64)
        jac = torch.autograd.functional.jacobian(lambda v: flow(v)[0], z).reshape(5, 5)
        _, log_det = flow(z)
        assert torch.allclose(log_det, torch.linalg.slogdet(jac).logabsdet.unsqueeze(0), atol=1e-8)


@both_subnets
def test_scale_is_soft_clamped(subnets):
    flow = _trained_like_flow(dim=4, width=8, subnets=subnets)
    coupling = flow.couplings[0]
    log_s, _ = coupling.net(torch.randn(10, 2, dtype=torch.float64) * 1e6)
    assert log_s.abs().max() <= SCALE_CLAMP * torch.pi / 2 + 1e-9


def test_structure_is_four_blocks_of_two_couplings_with_fixed_permutations():
    flow = RealNVP(20, 64)
    assert len(flow.couplings) == 8
    assert flow.permutations.shape == (4, 20)
    assert torch.equal(RealNVP(20, 64).permutations, flow.permutations)  # fixed, not re-drawn
    assert all(sorted(p.tolist()) == list(range(20)) for p in flow.permutations)
    transformed = [c.transform_first for c in flow.couplings]
    assert transformed == [False, True] * 4  # each block transforms both halves


def test_log_prob_of_identity_flow_is_standard_normal():
    flow = RealNVP(4, 8, subnets="joint").eval()
    for coupling in flow.couplings:
        torch.nn.init.zeros_(coupling.net.net[-1].weight)
        torch.nn.init.zeros_(coupling.net.net[-1].bias)
    z = torch.randn(16, 4)
    permuted = flow(z)[0]
    assert torch.allclose(flow.log_prob(z), standard_normal_log_prob(permuted), atol=1e-6)
    assert torch.allclose(flow.log_prob(z), torch.distributions.Normal(0, 1).log_prob(z).sum(1), atol=1e-5)


def test_flow_rejects_one_dimension():
    with pytest.raises(ValueError, match="at least 2"):
        RealNVP(1, 8)


def test_default_flow_has_separate_s_and_t_subnets_four_per_block():
    separate, joint = RealNVP(6, 8), RealNVP(6, 8, subnets="joint")
    subnets = [m for m in separate.modules() if isinstance(m, torch.nn.Sequential)]
    assert len(subnets) == 4 * 4  # 4 blocks x (s, t) x 2 halves
    assert len([m for m in joint.modules() if isinstance(m, torch.nn.Sequential)]) == 2 * 4
    coupling = separate.couplings[0].net
    assert coupling.scale[-1].out_features == coupling.shift[-1].out_features == 3


def test_every_flow_parameter_bn_included_starts_from_normal_0_05():
    torch.manual_seed(0)
    flow = RealNVP(64, 256)
    values = torch.cat([p.detach().flatten() for p in flow.parameters()])
    bn_scales = torch.cat([m.weight.detach() for m in flow.modules() if isinstance(m, torch.nn.BatchNorm1d)])
    assert abs(values.mean()) < 2e-3 and abs(values.std() - 0.05) < 1e-3
    assert abs(bn_scales.mean()) < 0.01 and abs(bn_scales.std() - 0.05) < 0.01  # not PyTorch's ones
    default = torch.cat([p.detach().flatten() for p in RealNVP(64, 256, init_std=None).parameters()])
    assert abs(default.std() - 0.05) > 0.01
