"""`planner compare` (not implemented yet)."""


def add_arguments(parser):
    pass


def run(args) -> int:
    raise SystemExit("planner compare: not implemented yet")
