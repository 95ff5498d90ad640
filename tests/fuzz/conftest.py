"""Hypothesis profile for the fuzz tests: bounded, no example database written into the working tree."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("COMMS_APPROVAL_FUZZ_EXAMPLES", "300")),
    deadline=None,
    # The same examples on every CI run (a red build always means a change, never luck); set
    # COMMS_APPROVAL_FUZZ_RANDOM=1 with a larger COMMS_APPROVAL_FUZZ_EXAMPLES to explore locally.
    derandomize=not os.environ.get("COMMS_APPROVAL_FUZZ_RANDOM"),
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
