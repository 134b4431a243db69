"""The Korean duty to insure against personal-information leak liability.

Three rule versions are known (see :data:`RULES`):

``network_act_2019``
    Network Act Art. 32-3 and its Enforcement Decree (from 2020 the same duty
    stood in PIPA Art. 39-9, a special rule for these providers): information
    and communications service providers with previous-year sales of at least
    50 million KRW storing a daily average of at least 1,000 users. In force
    from 2019-06-13; fines (20 million KRW) for not insuring apply from
    2020-01-01 after a grace period.
``pipa_2023``
    Personal Information Protection Act Art. 39-7 and Enforcement Decree
    Art. 48-7: every personal-information controller with previous-year
    sales of at least 1 billion KRW *and* at least 10,000 data subjects,
    unless exempt. Applied from 2024-09-15, the date the project's notes give
    for newly covered controllers (unverified); before that date
    ``network_act_2019`` applies to everyone.
``reform_2025_proposal``
    The PIPC plan of 2025-03-26 (sales of at least 150 billion KRW and at
    least 1 million data subjects). Not in force: used only when a caller
    asks for it with ``rule="reform_2025_proposal"``.

Insurance, mutual aid or a reserve of the same amount all satisfy the duty.

The thresholds and dates are data on each :class:`RuleVersion` below and the
minimum amounts are one row each in the package file
``data/kr_minimum_coverage.csv`` (with its status and source), so a
correction is a one-line change. Several items come from news reports and
insurer material, not from the law text, and **should be checked against the
official text** (law.go.kr) before relying on them:

- every minimum amount except the top tier of 1 billion KRW;
- the exact wording of the band edges (implemented as: the lowest sales band
  includes both its edges, "over 5 billion up to 80 billion" excludes 5 and
  includes 80 billion, "over 80 billion" excludes 80 billion; subject bands
  include their lower and exclude their upper edge);
- the 2024-09-15 compliance date of ``pipa_2023``;
- which public institutions and non-profits the decree exempts, and which
  processors it prescribes for the small-business exemption (the Act's
  exemptions themselves, Art. 39-7(2), are as implemented: the decree's
  public and non-profit bodies; a small business owner that has entrusted its
  processing, both at once; equivalent cover under another law);
- the status of ``reform_2025_proposal``.

Choices where the sources are silent:

- During the ``network_act_2019`` grace period (2019-06-13 to 2019-12-31)
  ``required`` is True, as the decree already applied; the reasons say that
  fines apply only from 2020-01-01.
- ``network_act_2019`` knows no exemptions: the exemption flags of an
  :class:`~picover.model.exposure.Organisation` are ignored under it (the
  reasons say so). Its user count is taken to be ``Organisation.records``, and a
  party receiving personal information from a provider (also covered) should
  set ``ict_provider=True``.
- ``entity_type="public"`` is treated as exempt under ``pipa_2023``, with a
  reason warning that a March 2024 decree change brought some public bodies
  in, so the user should check.
- A rule forced with ``rule=`` is applied even on dates when it is not in
  force, with a reason saying so.
"""

from picover.statutory.kr.bands import CoverageBand
from picover.statutory.kr.obligation import Obligation, obligation, obligation_arrays, require_krw
from picover.statutory.kr.rules import RULES, RuleVersion, minimum_coverage, rule_for

__all__ = [
    "RULES",
    "CoverageBand",
    "Obligation",
    "RuleVersion",
    "minimum_coverage",
    "obligation",
    "obligation_arrays",
    "require_krw",
    "rule_for",
]
