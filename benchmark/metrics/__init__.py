"""Sample-quality metrics: FID (Inception or the dataset's own classifier features), KID and PRD.
A library: no module here is a command (``python -m benchmark.commands.evaluate`` is the one that evaluates).

- :mod:`frechet`: Gaussian statistics and the Frechet distance (float64).
- :mod:`features`: the :class:`FeatureExtractor` interface.
- :mod:`fid`: pytorch-fid's Inception-v3 with SHA-256-pinned weights (legacy or clean-fid's
  resize); cached real statistics.
- :mod:`kid`: KID by clean-fid's ``kernel_distance``, seeded.
- :mod:`registry`: the feature extractors (name, label, note, weights path, loader).
- :mod:`classifier`: a small CNN trained per dataset, for offline features.
- :mod:`prd`: precision and recall for distributions (Sajjadi et al. 2018).
- :mod:`evaluate`: FID, KID and PRD of samples against as many real images.
"""
