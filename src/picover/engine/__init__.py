"""The numerical engine: annual loss distributions from a frequency and a severity.

It knows nothing of breaches or insurance law; the model and pricing layers
build on it.
"""

from picover.engine.compound import compound
from picover.engine.inputs import empirical, lattice, lognormal_from_interval, mixed_poisson, pert
from picover.engine.lossdist import LossDistribution

__all__ = [
    "LossDistribution",
    "compound",
    "empirical",
    "lattice",
    "lognormal_from_interval",
    "mixed_poisson",
    "pert",
]
