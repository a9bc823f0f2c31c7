"""``make bench``: the figures DESIGN.md sets targets for, measured in one run."""

import os

# The handlers' log lines (thousands: every throttled CRM request is a warning) would bury the table.
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
