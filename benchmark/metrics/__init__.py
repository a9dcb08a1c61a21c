"""Sample-quality metrics: FID (Inception or the dataset's own classifier features) and PRD.

- :mod:`frechet`: Gaussian statistics and the Frechet distance (float64).
- :mod:`features`: the :class:`FeatureExtractor` interface.
- :mod:`fid`: pytorch-fid's Inception-v3 with SHA-256-pinned weights; cached real statistics.
- :mod:`classifier`: a small CNN trained per dataset, for offline features.
- :mod:`prd`: precision and recall for distributions (Sajjadi et al. 2018).
- :mod:`evaluate`: metrics of a sample file against a dataset split (CLI).
"""
