"""Spatial Transformer Networks (Jaderberg et al., NeurIPS 2015, arXiv:1506.02025).

* :mod:`seminal.stn.convention` -- the one coordinate convention (output -> input, (x, y),
  normalised −1..1, pixel-centre aligned).
* :mod:`seminal.stn.grids` -- grid generators (§3.2): affine (eq. 1), attention (eq. 2),
  plane projective, thin plate spline, and a rotation + scale + translation variant (ours).
* :mod:`seminal.stn.sampling` -- the sampler (§3.3): fast path and the eq. 3–7 reference.
* :mod:`seminal.stn.fused` -- the projective grid and sampler in one native pass (CPU).
* :mod:`seminal.stn.transformer` -- :class:`SpatialTransformer` and series/parallel composition.
* :mod:`seminal.stn.localization`, :mod:`seminal.stn.models` -- localisation nets, Table 1's
  FCN/CNN/ST-FCN/ST-CNN and the seed's tutorial network.
* :mod:`seminal.stn.distortions`, :mod:`seminal.stn.dataset` -- distorted MNIST (R, RTS, P, E, TC).
"""

from seminal.stn.convention import ALIGN_CORNERS
from seminal.stn.fused import projective_warp
from seminal.stn.grids import (
    TPSGridGenerator,
    affine_grid,
    attention_grid,
    projective_grid,
    similarity_grid,
    solve_homography,
    tps_control_points,
    tps_grid,
)
from seminal.stn.localization import cnn_localization, fcn_localization, tutorial_localization, wide_localization
from seminal.stn.models import TABLE1_MODELS, TutorialNet, build_table1_model, count_parameters
from seminal.stn.sampling import reference_sample, sample_grid
from seminal.stn.transformer import (
    TRANSFORMS,
    NonFiniteTransformError,
    ParallelSpatialTransformers,
    SeriesSpatialTransformers,
    SpatialTransformer,
)

__all__ = [
    "ALIGN_CORNERS",
    "TRANSFORMS",
    "TABLE1_MODELS",
    "SpatialTransformer",
    "SeriesSpatialTransformers",
    "ParallelSpatialTransformers",
    "NonFiniteTransformError",
    "TPSGridGenerator",
    "affine_grid",
    "attention_grid",
    "projective_grid",
    "similarity_grid",
    "tps_grid",
    "tps_control_points",
    "solve_homography",
    "sample_grid",
    "projective_warp",
    "reference_sample",
    "cnn_localization",
    "fcn_localization",
    "tutorial_localization",
    "wide_localization",
    "TutorialNet",
    "build_table1_model",
    "count_parameters",
]
