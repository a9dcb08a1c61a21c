"""KID (kernel inception distance, Binkowski et al. 2018) with clean-fid's own estimator: the
unbiased MMD^2 under the cubic polynomial kernel, averaged over 100 random subsets of at most
1000 features per set.  The subsets are drawn from numpy's global generator, which clean-fid
uses; it is seeded here and restored afterwards, so that a KID repeats and nothing else moves."""
from __future__ import annotations

import numpy as np
import torch
from cleanfid.fid import kernel_distance


def kid_from_features(sample_features: torch.Tensor | np.ndarray, real_features: torch.Tensor | np.ndarray,
                      seed: int = 0) -> float:
    """Return the KID of sample features ``(N, d)`` against real features ``(M, d)``, both as
    float32 (as clean-fid computes it), by clean-fid's ``kernel_distance`` with numpy's global
    generator seeded by ``seed``."""
    sample_features, real_features = (np.asarray(torch.as_tensor(f).detach().cpu(), dtype=np.float32)
                                      for f in (sample_features, real_features))
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        return kernel_distance(sample_features, real_features)
    finally:
        np.random.set_state(state)
