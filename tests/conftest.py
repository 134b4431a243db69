"""Test settings: property-based tests draw the same examples on every run.

A run that passes once passes again (CI must not flake on an unlucky draw).
To explore new examples locally: ``PICOVER_HYPOTHESIS=explore python -m pytest``,
with ``--hypothesis-seed=N`` to make that draw reproducible.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("PICOVER_HYPOTHESIS", "repeatable"))
