"""`planner save` (not implemented yet)."""


def add_arguments(parser):
    pass


def run(args) -> int:
    raise SystemExit("planner save: not implemented yet")
