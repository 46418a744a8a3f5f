"""Stable identities for findings, so CI dashboards can follow one across commits.

GitLab's Code Quality widget compares the fingerprints of a merge request's
report with the target branch's to tell new problems from old ones, and SARIF
consumers do the same with partial fingerprints. A fingerprint therefore hashes
what the problem *is* — the rule, the file, the jobs it affects and the
offending source line without its indentation — and never where it sits: a line
number or a message that quotes one changes whenever unrelated lines move.
Identical problems (the same line copied into two places) are told apart by
their order among equals, which stays put as long as the copies do.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence

from cigen.lint.findings import Finding
from cigen.lint.report.locations import report_path

# Bump when the hashed fields change: dashboards then see every finding as new once.
SCHEME = "cigen/v1"


def fingerprints(findings: Sequence[Finding]) -> list[str]:
    """One unique hex fingerprint per finding, in the same order (findings come sorted)."""
    occurrences: Counter[str] = Counter()
    result = []
    for finding in findings:
        identity = "\0".join((SCHEME, finding.rule, report_path(finding.span.path),
                              ",".join(finding.jobs), finding.snippet))
        index = occurrences[identity]
        occurrences[identity] += 1
        # A path that is not UTF-8 holds lone surrogates; surrogatepass hashes them too
        # and encodes every other string exactly as plain UTF-8 does.
        key = f"{identity}\0{index}".encode("utf-8", "surrogatepass")
        result.append(hashlib.sha256(key).hexdigest())
    return result
