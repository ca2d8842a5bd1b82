"""The LP/MILP: inputs, model blocks, backends, baselines, verification."""
