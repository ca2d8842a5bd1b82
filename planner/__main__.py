"""``python -m planner``: the ``planner`` command line."""

from planner.cli.main import main

raise SystemExit(main())
