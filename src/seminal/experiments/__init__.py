"""Experiment registry, runner and the per-paper experiment modules."""
