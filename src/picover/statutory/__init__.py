"""Statutory duties to hold personal-information leak liability cover.

One module per jurisdiction; :mod:`picover.statutory.kr` covers Korea.
"""

from picover.statutory import kr

__all__ = ["kr"]
