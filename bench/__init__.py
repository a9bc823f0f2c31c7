"""``make bench``: the figures DESIGN.md sets targets for, measured in one run."""
