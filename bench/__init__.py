"""``make bench``: the figures DESIGN.md sets targets for, measured in one run."""

import os

# The handlers' INFO lines and metric documents (thousands) would bury the table; warnings and errors still print.
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
