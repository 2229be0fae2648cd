"""The lint pipeline: check discovery and selection, configuration, suppressions, baselines,
only-new mode; files -> policies -> checks -> findings."""
