"""`planner demo-data` (not implemented yet)."""


def add_arguments(parser):
    pass


def run(args) -> int:
    raise SystemExit("planner demo-data: not implemented yet")
