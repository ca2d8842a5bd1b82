"""Scenario files, revisions, running a scenario end to end, comparison."""
