"""Issue 14, case by case: every case of the issue's "Why" names the test that reproduces it.

:data:`CASES` is the audit: (category, case, test, behaviour now).  ``docs/ROBUSTNESS.md`` is
the same table for people; the tests below check that every named test exists and that the
document lists exactly these cases, so neither can drift.  The cases that had no test elsewhere
are reproduced here (the plan without solver values, the blank ``--author``) or in
``tests/app/test_ui_chinese.py`` (the app's texts).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

E, W, F = "error, exit 2", "accepted with a warning", "fixed"
#: (category, case as the issue names it, test(s) "file::function", behaviour)
CASES: list[tuple[str, str, str, str]] = [
    # --- tracebacks
    (
        "traceback",
        "full-width or Arabic-Indic digits in number cells (`１２.５`)",
        "tests/inventory/test_inventory_validation.py::test_non_ascii_digits_are_read_as_numbers",
        "fixed: read as the number",
    ),
    (
        "traceback",
        "scenario values of the wrong type (`inventory: 5`, `options: [..]`, `presolve: maybe`, `aqi_standard: '2020'`, `lock: {purple: 0.5}`, `control_type: banana`, loss caps `1.5`/`'25%'`, `alert_days` 10**400, NUL byte in a path)",
        "tests/scenario/test_scenario_schema.py::test_wrong_values_are_errors_naming_key_and_line",
        E + ", key path and line",
    ),
    (
        "traceback",
        "`discrete: true` + `time_limit: 0`: a plan without solver values crashed the verifier (`float(None)`)",
        "tests/test_issue14_cases.py::test_plan_without_solver_values_exits_1_without_traceback",
        "fixed: status time_limit, exit 1, JSON parses",
    ),
    (
        "traceback",
        "PM2.5 without a station dimension",
        "tests/targets/test_forecast.py::test_variable_without_station_dimension_is_named",
        E,
    ),
    (
        "traceback",
        "`planner save --author '   '`",
        "tests/test_issue14_cases.py::test_cli_save_blank_author_exits_2",
        E,
    ),
    (
        "traceback",
        "a 300-character enterprise id in export",
        "tests/reports/test_export.py::test_export_file_names_stay_inside_out",
        "fixed: file name shortened, inside --out",
    ),
    (
        "traceback",
        "read-only mount, full disk, `ulimit -f`",
        "tests/cli/test_cli_exit_codes.py::test_full_disk_exits_4_without_traceback",
        "error, exit 4",
    ),
    (
        "traceback",
        "read-only output folder",
        "tests/cli/test_cli_exit_codes.py::test_read_only_output_folder_exits_4",
        "error, exit 4",
    ),
    (
        "traceback",
        "`ulimit -f` on plan outputs",
        "tests/cli/test_cli_exit_codes.py::test_ulimit_f_on_plan_outputs_exits_4",
        "error, exit 4",
    ),
    (
        "traceback",
        "`python -m planner.access --help` prompts and crashes without a terminal",
        "tests/app/test_access.py::test_hash_tool_never_prompts_without_terminal",
        "fixed: never prompts, `--stdin`",
    ),
    # --- silently wrong
    (
        "silent",
        "`1e309` accepted as infinity",
        "tests/inventory/test_inventory_validation.py::test_overflowing_number_is_an_error_not_infinity",
        E,
    ),
    (
        "silent",
        "`1e309` in a scenario",
        "tests/scenario/test_scenario_schema.py::test_wrong_values_are_errors_naming_key_and_line",
        E,
    ),
    (
        "silent",
        "`inf` PM10 → AQI 500, exit 0",
        "tests/policy/test_aqi.py::test_infinite_concentration_rejected_not_500",
        E,
    ),
    (
        "silent",
        "integer netCDF times read as 1970",
        "tests/targets/test_forecast.py::test_integer_times_without_units_are_not_read_as_1970",
        E,
    ),
    ("silent", "NaT times", "tests/targets/test_forecast.py::test_nat_times_rejected", E),
    (
        "silent",
        "10-minute steps",
        "tests/targets/test_forecast.py::test_sub_hourly_and_irregular_steps_rejected",
        E,
    ),
    (
        "silent",
        "zero stations or times",
        "tests/targets/test_forecast.py::test_zero_stations_or_times_rejected",
        E,
    ),
    (
        "silent",
        'a blank station becomes "nan"',
        "tests/targets/test_forecast.py::test_blank_station_named_by_row_not_read_as_nan",
        E + ", row named",
    ),
    (
        "silent",
        "a duplicated header ignored",
        "tests/io/test_tables.py::test_repeated_header_row_is_skipped_with_a_warning",
        W + " naming the row",
    ),
    (
        "silent",
        "a duplicated forecast column",
        "tests/targets/test_forecast.py::test_duplicated_csv_column_is_an_error",
        E,
    ),
    (
        "silent",
        "a list split over two sheets reads only the first",
        "tests/io/test_tables.py::test_list_continued_on_a_second_sheet_with_the_same_header_is_read_whole",
        "fixed: read whole; problems name the sheet",
    ),
    (
        "silent",
        "formulas without cached values become blank without a warning",
        "tests/io/test_tables.py::test_formulas_without_saved_results_warn_with_their_cells",
        W + " naming the cells",
    ),
    (
        "silent",
        "a group-header unit (`排放量（公斤）`) ignored",
        "tests/inventory/test_inventory_read.py::test_group_header_mass_without_period_is_rejected_not_read_as_tonnes",
        E,
    ),
    (
        "silent",
        "`exempt: 'no'` exempts the firm",
        "tests/scenario/test_scenario_schema.py::test_exempt_no_does_not_exempt",
        E,
    ),
    (
        "silent",
        "`discrete: 'no'` turns whole-line mode on; `percentile: true`; negative `shortfall_penalty`",
        "tests/scenario/test_scenario_schema.py::test_planner_plan_exits_2_with_the_key",
        E,
    ),
    (
        "silent",
        "duplicate YAML keys keep the last one",
        "tests/io/test_yamlio.py::test_duplicate_key_names_path_and_both_lines",
        E + ", both lines named",
    ),
    (
        "silent",
        "duplicate keys in a scenario",
        "tests/scenario/test_scenario_schema.py::test_duplicate_key_in_a_scenario",
        E,
    ),
    # --- hangs
    (
        "hang",
        "one stray cell at XFD1048576 in an xlsx",
        "tests/io/test_tables.py::test_stray_cell_at_xfd1048576_is_bounded_with_a_warning",
        W + " (cell not read)",
    ),
    (
        "hang",
        "a billion-laughs YAML",
        "tests/io/test_yamlio.py::test_billion_laughs_fails_fast_with_a_message",
        E,
    ),
    (
        "hang",
        "20,000-deep nesting",
        "tests/io/test_yamlio.py::test_deep_nesting_gives_a_message_not_recursion_error",
        E,
    ),
    # --- vague
    (
        "vague",
        'a single bad byte rejects the file as "not text" without a row',
        "tests/io/test_tables.py::test_single_bad_byte_is_named_by_line_and_offset",
        E + ", line and byte offset",
    ),
    (
        "vague",
        "errors name internals (`PlanInputs`, `overrides`, `shares.yaml (with overrides)`) instead of the scenario key",
        "tests/scenario/test_scenario_schema.py::test_share_override_breaking_the_order_names_the_scenario_key",
        E + ", scenario key",
    ),
    (
        "vague",
        "errors name a temporary file (`.target.xxxx.tmp`) instead of the output",
        "tests/cli/test_cli_exit_codes.py::test_read_only_output_folder_exits_4",
        "error, exit 4, the output folder named",
    ),
    # --- paths
    (
        "paths",
        "`rules:` resolves from the current directory",
        "tests/scenario/test_scenario_schema.py::test_rules_path_resolved_from_the_scenario_file_not_the_cwd",
        "fixed",
    ),
    (
        "paths",
        "`rules: ../../etc/passwd` is read",
        "tests/scenario/test_scenario_schema.py::test_rules_path_outside_the_project_is_rejected_unread",
        E + ", file not read",
    ),
    (
        "paths",
        "a `base:` outside the project is read before the containment error",
        "tests/scenario/test_scenario_schema.py::test_base_outside_the_project_is_rejected_before_reading_it",
        E + ", file not read",
    ),
    (
        "paths",
        "every path key contained (inventory, city, forecast, SR files …)",
        "tests/scenario/test_scenario_schema.py::test_every_path_key_is_contained",
        E,
    ),
    (
        "paths",
        "an enterprise id `../../escaped_E0001` makes `planner export` write outside `--out`",
        "tests/reports/test_export.py::test_export_file_names_stay_inside_out",
        "fixed: sanitised file name",
    ),
    # --- exports
    (
        "exports",
        "`=HYPERLINK(...)` live in the Excel list",
        "tests/reports/test_export.py::test_list_workbook_keeps_formula_like_names_as_text",
        "fixed: text cell",
    ),
    (
        "exports",
        "`=HYPERLINK(...)` in plan.xlsx and raw in schedule.csv",
        "tests/reports/test_export.py::test_plan_outputs_neutralise_formulas",
        "fixed: text cell, `'` in CSV",
    ),
    (
        "exports",
        "`=HYPERLINK(...)` in compare.xlsx",
        "tests/scenario/test_compare.py::test_compare_xlsx_keeps_formula_like_text_and_numbers",
        "fixed: text cell",
    ),
    (
        "exports",
        "partial outputs after a failed export (`--pdf` without reportlab, `--sheets E9999`)",
        "tests/reports/test_export.py::test_failed_export_leaves_nothing",
        "fixed: staged folder, nothing left",
    ),
    # --- saves
    (
        "saves",
        "the history entry of a committed revision lost on kill -9",
        "tests/scenario/test_save_faults.py::test_killed_at_every_boundary_loses_nothing",
        "fixed: history first, roll forward",
    ),
    (
        "saves",
        "the lock file left behind: TimeoutError on the next save",
        "tests/scenario/test_save_faults.py::test_lock_file_of_dead_process_does_not_block",
        "fixed: stale lock broken",
    ),
    (
        "saves",
        "temp files never cleaned",
        "tests/scenario/test_save_faults.py::test_error_at_every_step_leaves_old_or_new_and_history_complete",
        "fixed",
    ),
    (
        "saves",
        "every save sets files to mode 0600",
        "tests/scenario/test_save_faults.py::test_save_keeps_file_mode",
        "fixed: mode kept",
    ),
    (
        "saves",
        "comments are stripped",
        "tests/scenario/test_save_faults.py::test_mapping_save_keeps_comments",
        "fixed: comments kept",
    ),
    # --- access
    (
        "access",
        "portal isolation (held: 0 leaks)",
        "tests/app/test_pages.py::test_portal_shows_own_firm_only",
        "kept",
    ),
    (
        "access",
        "6-digit codes in plain text in the inventory, from a public seed, with duplicates",
        "tests/app/test_access.py::test_new_codes_are_long_unambiguous_and_distinct",
        "fixed: 12 characters, salted hashes outside the list",
    ),
    (
        "access",
        "codes stored in the list; the demo list's `access_code` column",
        "tests/demo/test_demo.py::test_credit_codes_valid_unique_and_in_county",
        "fixed: column retired",
    ),
    (
        "access",
        "no way to issue or revoke codes",
        "tests/cli/test_cli_access_publish.py::test_issue_list_revoke",
        "fixed: `planner access issue|revoke|list`, 查询码 page",
    ),
    (
        "access",
        "rotating over codes not throttled; a real login resets an attacker's counter",
        "tests/app/test_access.py::test_portal_throttle_per_code_and_per_client_not_reset_by_other_login",
        "fixed",
    ),
    (
        "access",
        "a broken or empty officials.toml re-enables the demo password",
        "tests/app/test_access.py::test_broken_or_empty_config_fails_closed",
        "fixed: fails closed",
    ),
    (
        "access",
        "a blank env var re-enables the demo password",
        "tests/app/test_access.py::test_blank_or_bad_env_var_fails_closed",
        "fixed: fails closed",
    ),
    (
        "access",
        "the officials' throttle is per session",
        "tests/app/test_access.py::test_officials_throttle_is_server_wide",
        "fixed: server-wide",
    ),
    (
        "access",
        "a published inventory with errors shows its problem table to anyone",
        "tests/app/test_publish_flow.py::test_published_plan_with_input_errors_shows_officials_a_message_and_firms_nothing",
        "fixed",
    ),
    # --- CLI
    (
        "cli",
        "`--format json` of plan/compare/analyze is not JSON (HiGHS banner on stdout)",
        "tests/cli/test_cli_exit_codes.py::test_plan_json_stdout_is_only_json_even_with_solver_banner",
        "fixed",
    ),
    (
        "cli",
        "exit 1 means both conflict and I/O error",
        "tests/cli/test_cli_exit_codes.py::test_exit_codes_are_distinct_and_documented",
        "fixed: 3 conflict, 4 I/O",
    ),
    # --- UI
    (
        "ui",
        "English on error paths (`target not reachable: slot orange NOx…`)",
        "tests/app/test_ui_chinese.py::test_plan_messages_in_chinese",
        "fixed: translated; problem messages keep the validator's English text with a note",
    ),
    (
        "ui",
        "`None` in the dual and upgrade columns",
        "tests/app/test_ui_chinese.py::test_absent_values_show_a_dash_with_a_reason",
        "fixed: `—（…）`",
    ),
    (
        "ui",
        "raw codes: `grade`/`lock`/`True`, `stop_lines_share`, `yellow`, `t/d`",
        "tests/app/test_ui_chinese.py::test_every_page_in_chinese_has_no_raw_word",
        "fixed",
    ),
    (
        "ui",
        "English Excel headers in the summary sheet",
        "tests/reports/test_export.py::test_plan_workbook_too_many_rows_keeps_summary_and_totals",
        "fixed: 概要 in Chinese",
    ),
    (
        "ui",
        "untranslated Streamlit and plotly texts",
        "tests/browser/test_official_day.py::test_an_officials_day",
        "fixed (uploader, stop button, chart toolbar; the select boxes' screen-reader announcements "
        "`N options available.` and empty lists `No results` translated in the browser, no `Select all` "
        "entry); aria labels (`Skip to main content`, `Add files`, `Remove …`) stay English",
    ),
    (
        "ui",
        "dates as `Dec 11`, UTC times",
        "tests/app/test_ui_chinese.py::test_dates_in_beijing_time_and_chinese_format",
        "fixed",
    ),
    (
        "ui",
        "a lock below the mandatory floor accepted silently; a self-contradictory 一厂一策 sheet",
        "tests/app/test_publish_flow.py::test_lock_below_floor_needs_a_reason_kept_in_scenario_and_sheet",
        "warning + reason required, stated on the sheet",
    ),
    (
        "ui",
        "the save form collapses after a re-solve",
        "tests/browser/test_official_day.py::test_an_officials_day",
        "fixed: keyed forms",
    ),
    (
        "ui",
        "a forecast uploaded on a list scenario silently turns it into an episode plan",
        "tests/app/test_ui_chinese.py::test_uploaded_forecast_keeps_a_list_scenario_a_list",
        "fixed: the official chooses",
    ),
    (
        "ui",
        "charts with clipped labels, `600k` on 万元 axes",
        "tests/app/test_ui_chinese.py::test_money_axes_show_full_numbers",
        "fixed",
    ),
    (
        "ui",
        "officials download any firm's 一厂一策 sheet and all sheets as one archive",
        "tests/app/test_ui_chinese.py::test_officials_download_any_sheet_and_all_as_zip",
        "built",
    ),
]
# fmt: on


def _functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def robustness_table() -> str:
    """The table of docs/ROBUSTNESS.md."""
    rows = ["| # | category | case | test | behaviour now |", "|---|---|---|---|---|"]
    for i, (cat, case, test, how) in enumerate(CASES, 1):
        rows.append(f"| {i} | {cat} | {case.replace('|', '/')} | `{test}` | {how} |")
    return "\n".join(rows)


def test_every_case_names_a_test_that_exists():
    missing = []
    for _, case, test, _ in CASES:
        file, name = test.split("::")
        path = REPO / file
        if not path.is_file() or name not in _functions(path):
            missing.append((case, test))
    assert not missing


def test_robustness_document_lists_exactly_these_cases():
    doc = (REPO / "docs" / "ROBUSTNESS.md").read_text(encoding="utf-8")
    assert robustness_table() in doc, "regenerate the table: python -m tests.test_issue14_cases"


def test_counts_by_category_in_the_document():
    doc = (REPO / "docs" / "ROBUSTNESS.md").read_text(encoding="utf-8")
    for cat in {c for c, *_ in CASES}:
        n = sum(1 for c, *_ in CASES if c == cat)
        assert re.search(rf"\b{cat}\b[^\n]*\b{n}\b", doc), cat


# --------------------------------------------------------------------------- cases reproduced here
def test_plan_without_solver_values_exits_1_without_traceback(tmp_path, capsys):
    """Whole lines and ``time_limit: 0``: no solver values; the verifier crashed on
    ``float(None)``.  Now the plan says time_limit, exits 1 and --format json parses."""
    from planner.cli.main import EXIT_NOT_USABLE, main

    sc = tmp_path / "s.yaml"
    sc.write_text(
        f"base: {(REPO / 'scenarios' / 'demo_list.yaml').as_posix()}\n"
        "options: {discrete: true}\nsolver: {time_limit: 0}\n",
        encoding="utf-8",
    )
    rc = main(["plan", str(sc), "--out", str(tmp_path / "out"), "--format", "json"])
    out, err = capsys.readouterr()
    assert rc == EXIT_NOT_USABLE and "Traceback" not in err
    doc = json.loads(out)
    assert doc["status"] == "time_limit" and doc["messages"]


def test_cli_save_blank_author_exits_2(tmp_path, capsys):
    from planner.cli.main import EXIT_BAD_INPUT, main

    sc = tmp_path / "demo.yaml"
    sc.write_text(
        (REPO / "scenarios" / "demo_list.yaml")
        .read_text(encoding="utf-8")
        .replace("../data/", (REPO / "data").as_posix() + "/"),
        encoding="utf-8",
    )
    before = sc.read_bytes()
    rc = main(["save", str(sc), "--from", str(sc), "--author", "   ", "--message", "x"])
    err = capsys.readouterr().err
    assert rc == EXIT_BAD_INPUT and "author" in err and "Traceback" not in err
    assert sc.read_bytes() == before and not (tmp_path / ".history").exists()


if __name__ == "__main__":  # print the document's table
    print(robustness_table())
