"""Shared plumbing of the app's pages: language, session state, cached solves, error display.

The pages only call the library (:mod:`planner.scenario.run`) through :func:`solve_scenario`, which
caches *plain* results (DataFrames and dicts, never solver objects) by the scenario's content.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import re
import tempfile
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import pandas as pd
import streamlit as st

from planner import ALERT_LEVELS, POLLUTANTS
from planner.app.i18n import DEFAULT_LANGUAGE, level_name, t
from planner.problems import InputError
from planner.reports.app_tables import merge_share_edits, missing, problems_frame, scenario_key

log = logging.getLogger("planner.app")

REPO = Path(__file__).resolve().parents[2]
#: Colours of the alert levels (GB/T 27967 style) used by every chart.
LEVEL_COLORS = {"none": "#8fbf8f", "yellow": "#f2c500", "orange": "#f08c00", "red": "#d62728"}
#: Columns of the inventory the pages may show (never ``access_code``).
PUBLIC_COLUMNS = [
    "name",
    "credit_code",
    "county",
    "town",
    "park",
    "industry",
    "grade",
    "control_type",
    "line_count",
    "line_description",
    "main_product",
    "output_value_daily",
    "SO2",
    "NOx",
    "PM",
    "VOCs",
    "technical_max_cut",
    "self_directed",
    "grade_rank",
    "lat",
    "lon",
    "row",
]


# --------------------------------------------------------------------------- language
_LANG: ContextVar[str | None] = ContextVar("planner_app_lang", default=None)


def lang() -> str:
    """The session's UI language (``zh`` by default)."""
    forced = _LANG.get()
    if forced:
        return forced
    return st.session_state.get("lang", DEFAULT_LANGUAGE)


def bound(fn):
    """Wrap a widget's ``format_func`` so that it keeps the language of the run that made the widget.

    Streamlit may call it again outside the script run, where there is no session.
    """
    current = lang()

    def call(value):
        token = _LANG.set(current)
        try:
            return fn(value)
        finally:
            _LANG.reset(token)

    return call


def tr(key: str, **fmt) -> str:
    """UI text in the session's language."""
    return t(key, lang(), **fmt)


def lvl(level: str) -> str:
    """An alert level's name in the session's language."""
    return level_name(level, lang())


# --------------------------------------------------------------------------- scenarios
def scenario_dir() -> Path:
    """Folder of the scenario files offered (``$PLANNER_SCENARIO_DIR`` or ``scenarios/``)."""
    env = os.environ.get("PLANNER_SCENARIO_DIR")
    return Path(env) if env else REPO / "scenarios"


def scenario_files() -> list[Path]:
    """List the scenario files offered, sorted.

    The YAML files of :func:`scenario_dir`, without hidden files and region scenarios.
    """
    # hidden files are the portal's published copies (``.<stem>.published.yaml``), not scenarios;
    # region scenarios (several cities, planner.scenario.region) are planned with `planner plan`
    from planner.scenario.region import is_region_file

    return sorted(
        p
        for p in scenario_dir().glob("*.yaml")
        if p.is_file() and not p.name.startswith(".") and not is_region_file(p)
    )


def portal_scenario_file() -> Path:
    """Return the bureau's published scenario that the enterprise portal reads.

    ``$PLANNER_PORTAL_SCENARIO``, else ``demo_list.yaml`` in the scenario folder.
    """
    env = os.environ.get("PLANNER_PORTAL_SCENARIO")
    if env:
        return Path(env)
    p = scenario_dir() / "demo_list.yaml"
    if p.is_file():
        return p
    files = scenario_files()
    return files[0] if files else p


def current_file() -> Path | None:
    """The scenario file chosen on the overview page (default: the first list scenario)."""
    f = st.session_state.get("scenario_file")
    files = scenario_files()
    if f and Path(f) in files:
        return Path(f)
    if not files:
        return None
    default = next((p for p in files if p.stem == "demo_list"), files[0])
    st.session_state["scenario_file"] = str(default)
    return default


def _store(name: str) -> dict:
    return st.session_state.setdefault(name, {})


def base_scenario(path: Path):
    """The scenario as its file says (raises InputError)."""
    from planner.scenario.files import load_scenario

    return load_scenario(path)


def working_overrides(path: Path, base) -> dict:
    """The session's per-enterprise overrides for a scenario (starting from the file's)."""
    store = _store("overrides")
    if str(path) not in store:
        store[str(path)] = {k: dict(v) for k, v in base.enterprises.items()}
    return store[str(path)]


def set_overrides(path: Path, overrides: dict) -> None:
    """Replace the session's per-enterprise overrides for the scenario ``path``."""
    _store("overrides")[str(path)] = overrides


def working_shares(path: Path) -> dict:
    """The session's share changes for the scenario ``path`` ({} when none)."""
    return _store("shares").get(str(path), {})


def set_shares(path: Path, shares: dict) -> None:
    """Replace the session's share changes for the scenario ``path``."""
    _store("shares")[str(path)] = shares


def uploads() -> dict:
    """The session's uploaded files: path of the saved copy by kind."""
    return _store("uploads")


def save_upload(kind: str, uploaded) -> Path:
    """Write an uploaded file to the session's temporary folder and remember its path."""
    folder = st.session_state.get("upload_dir")
    if not folder or not Path(folder).is_dir():
        folder = tempfile.mkdtemp(prefix="planner-upload-")
        st.session_state["upload_dir"] = folder
    name = Path(uploaded.name).name or f"{kind}.bin"
    path = Path(folder) / f"{kind}-{name}"
    path.write_bytes(uploaded.getvalue())
    uploads()[kind] = str(path)
    return path


def working_scenario(path: Path | None = None):
    """Return the scenario the bureau's pages work on.

    The chosen file plus the session's uploads, share changes and enterprise edits.
    """
    path = path or current_file()
    if path is None:
        raise InputError.single(str(scenario_dir()), tr("common.no_scenarios"))
    base = base_scenario(path)
    changes: dict = {"enterprises": working_overrides(path, base)}
    shares = working_shares(path)
    if shares:
        changes["shares"] = merge_share_edits(base.shares, shares)
    up = uploads()
    if up.get("inventory"):
        changes["inventory"] = Path(up["inventory"])
    if up.get("forecast"):
        changes["forecast"] = Path(up["forecast"])
        # a forecast turns a list scenario into an episode plan only when the official says so
        # (overview page); an episode scenario simply plans on the uploaded forecast
        if base.mode == "episode" or up.get("forecast_mode") == "episode":
            changes["mode"] = "episode"
    return dataclasses.replace(base, **changes)


# --------------------------------------------------------------------------- solving
@st.cache_resource(max_entries=16, show_spinner=False)
def _result(key: str, _scenario):
    """The one solve of a scenario's content, shared by every page and every session.

    A :class:`planner.scenario.run.PlanResult` holds plain arrays and frames (never a solver or
    LpProblem object); pages treat it as read-only.
    """
    from planner.scenario.run import run

    return run(_scenario)


def scenario_result(scenario):
    """The solved scenario (cached by content: every page asking for the same content shares one solve)."""
    return _result(scenario_key(scenario), scenario)


@st.cache_data(max_entries=32, show_spinner=False)
def _solve_cached(key: str, _scenario) -> dict:
    """The page tables of the shared solve: plain frames and dicts (no solver objects)."""
    result = _result(key, _scenario)
    prepared = result.prepared
    table = prepared.table[[c for c in PUBLIC_COLUMNS if c in prepared.table.columns]].copy()
    table.index = table.index.astype(str)
    inv = prepared.inventory.table
    schedule = result.schedule.copy()
    return {
        "key": key,
        "name": _scenario.name,
        "mode": _scenario.mode,
        "schedule": schedule,
        "schedule_lines": None if result.schedule_lines is None else result.schedule_lines.copy(),
        "summary": dict(result.summary),
        "table": table,
        "slots": prepared.slots.copy(),
        "alerts": None if prepared.alerts is None else prepared.alerts.copy(),
        "inventory_grades": {str(k): str(v) for k, v in inv["grade"].items()},
        **_air_tables(result),
    }


def _air_tables(result) -> dict:
    """Return the plan's effect per day and station and the city's stations.

    ``air_days`` and the stations, for the overview and the map (docs/AIR_QUALITY.md); empty frames
    when the city has no stations.
    """
    from planner.airquality.effect import _cached_effect

    eff = _cached_effect(result.prepared, result.plan)
    return {
        "air_days": None if eff is None else eff.days.copy(),
        "stations": list((result.prepared.city or {}).get("stations") or []),
    }


def solve_scenario(scenario) -> dict:
    """Solve a scenario (cached by content), showing a spinner while it runs."""
    key = scenario_key(scenario)
    with st.spinner(tr("common.solving")):
        return _solve_cached(key, scenario)


def default_shares() -> dict[str, dict[str, float]]:
    """Reduction shares of ``data/policy/shares.yaml`` as ``{level: {pollutant: share}}``."""
    from planner.targets.reductions import load_shares

    da = load_shares()
    return {lv: {p: float(da.sel(level=lv, pollutant=p)) for p in POLLUTANTS} for lv in ALERT_LEVELS}


# --------------------------------------------------------------------------- errors
def problems_table(problems, key: str | None = None) -> None:
    """Show a problem list as a table.

    Severity by name, file, row (``—`` for a whole-file problem), column or key path, message in the
    session's language (:mod:`planner.app.messages`).

    In Chinese, a message the catalogue cannot translate is a Chinese sentence naming its place;
    its English text is shown only in an expander below the table.
    """
    from planner.app.messages import translate_problem, untranslated

    items = list(problems)
    current = lang()
    df = problems_frame([translate_problem(p, current) for p in items])
    df["severity"] = df["severity"].map(lambda v: tr(f"problems.severity.{v}"))
    df["row"] = df["row"].map(lambda v: DASH if missing(v) else f"{int(v):,}")
    df["column"] = df["column"].map(lambda v: DASH if missing(v) or v == "" else str(v))
    st.dataframe(df.rename(columns=lambda c: tr(f"problems.{c}")), hide_index=True, key=key)
    original = untranslated(items, current)
    if original:
        with st.expander(tr("problems.original", n=len(original))):
            st.caption(tr("problems.original_help"))
            st.code("\n".join(str(p) for p in original), language=None)


def message_text(message: str) -> str:
    """Return a library message (an exception's text) in the session's language.

    See :func:`planner.app.messages.translate_message`.
    """
    from planner.app.messages import translate_message

    return translate_message(str(message), lang())


def show_problems(err: InputError) -> None:
    """Show an InputError's problems as a table with file, row and column."""
    st.error(tr("common.input_error", n=len(err.problems.errors)))
    problems_table(err.problems)


@contextmanager
def guarded():
    """Run a page body: input problems become a table, anything else a friendly message.

    Streamlit's own control flow (``st.stop``, ``st.rerun``) derives from BaseException and
    passes through.
    """
    try:
        yield
    except InputError as err:
        show_problems(err)
    except Exception:  # the UI must never show a traceback
        log.exception("page failed")
        st.error(tr("common.unexpected"))


def session_client() -> str:
    """Return the browser's key for login throttling.

    See :func:`planner.app.access.client_key`: its address, else the session.
    """
    import secrets

    from planner.app.access import client_key

    if "client_session" not in st.session_state:
        st.session_state["client_session"] = secrets.token_hex(8)
    ip = headers = None
    try:
        ip = st.context.ip_address
        headers = dict(st.context.headers)
    except Exception:  # no request context (tests, bare mode)
        pass
    return client_key(ip, headers, st.session_state["client_session"])


def require_official() -> None:
    """Stop a bureau page when the session is not logged in as an official."""
    if not st.session_state.get("official"):
        st.warning(tr("login.required"))
        st.stop()


def fmt_money(v) -> str:
    """万元 with thousands separators, or a dash."""
    if v is None or (isinstance(v, float) and v != v):
        return "–"
    return f"{v:,.1f}"


def pct(v) -> str:
    """A fraction as a percentage with one decimal, or a dash when absent."""
    if v is None or (isinstance(v, float) and v != v):
        return "–"
    return f"{100 * v:.1f}%"


def industry_name(code: str) -> str:
    """Return the industry's name for the UI.

    The Chinese name in the Chinese UI; in English the code spelt as words (``secondary metals``: the
    industry table has no English names).
    """
    if lang() != "zh":
        return str(code).replace("_", " ")
    try:
        from planner.policy.vocabulary import industries

        return str(industries()["name_zh"].get(str(code), code))
    except Exception:  # a label must never break a page
        return str(code)


def status_text(status: str | None) -> str:
    """A solver status in the session's language, or a dash when absent."""
    return tr(f"status.{status}") if status else "–"


def localise_columns(df: pd.DataFrame, prefix: str = "col") -> pd.DataFrame:
    """Rename columns to the session language's headers (``col.<name>`` keys)."""
    return df.rename(columns=lambda c: tr(f"{prefix}.{c}"))


def number_table(df: pd.DataFrame, formats: dict[str, str], prefix: str = "col") -> None:
    """Show ``df`` with the session language's headers and number formats per column.

    Parameters
    ----------
    df : pandas.DataFrame
    formats : dict
        ``{column: printf format}`` (e.g. ``"%,.1f"``) for the numeric columns; columns not in
        ``df`` are ignored.
    prefix : str
        Message-key prefix of the headers (``col`` → ``col.<name>``).
    """
    st.dataframe(
        localise_columns(df, prefix),
        hide_index=True,
        column_config={
            tr(f"{prefix}.{c}"): st.column_config.NumberColumn(format=f)
            for c, f in formats.items()
            if c in df
        },
    )


# --------------------------------------------------------------------------- display helpers
#: Beijing time (UTC+8, no daylight saving): every time the app shows.
BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
DASH = "—"


def local_time(iso) -> str:
    """Format a stored time (ISO text or datetime; naive = UTC) in Beijing time.

    ``2026年12月9日 16:00`` in Chinese, ``2026-12-09 16:00`` in English; ``—`` when absent.
    """
    if missing(iso) or iso == "":
        return DASH
    try:
        t = (
            iso
            if isinstance(iso, dt.datetime)
            else dt.datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
        )
    except ValueError:
        return str(iso)
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    t = t.astimezone(BEIJING)
    if lang() == "zh":
        return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}"
    return t.strftime("%Y-%m-%d %H:%M")


def fmt_date(d, year: bool = False) -> str:
    """Format a calendar day.

    ``12月11日`` (``2026年12月11日`` with ``year``) in Chinese, ``2026-12-11`` in English; a text that
    is not a date is returned as it is.
    """
    if missing(d):
        return DASH
    try:
        ts = pd.Timestamp(d)
    except (TypeError, ValueError):
        return str(d)
    if lang() != "zh":
        return ts.strftime("%Y-%m-%d")
    return (f"{ts.year}年" if year else "") + f"{ts.month}月{ts.day}日"


def slot_name(slot, level: str | None = None) -> str:
    """Name a plan slot for people.

    The level's name in list mode (the slot is the level), the date (with the level) in episode mode.
    """
    s = str(slot)
    if s in ("none", *ALERT_LEVELS):
        return lvl(s)
    name = fmt_date(s) if len(s) == 10 and s[4] == "-" else s
    return f"{name} {tr(f'level_short.{level}')}" if level in ALERT_LEVELS else name


def measure_type_name(code) -> str:
    """The name of a ``measure_type`` code (:func:`planner.policy.registry.measure_type_label`)."""
    if missing(code) or code == "":
        return DASH
    if code == "optimizer_extra":  # the analysis' name for the cuts the optimizer adds
        return tr("analysis.optimizer_extra")
    try:
        from planner.policy.registry import measure_type_label

        return measure_type_label(str(code), lang())
    except Exception:  # a label must never break a page
        return str(code)


def fmt_num(v, digits: int = 1, unit: str = "", none: str | None = None) -> str:
    """Format a number with thousands separators and ``digits`` decimals, then the unit.

    ``none`` (default ``—``) when absent.
    """
    if missing(v):
        return DASH if none is None else none
    try:
        text = f"{float(v):,.{digits}f}"
    except (TypeError, ValueError):
        return str(v)
    return f"{text} {unit}".rstrip() if unit else text


def yes_no(v) -> str:
    """是/否 (Yes/No) for a boolean, ``—`` when absent."""
    if missing(v):
        return DASH
    return tr("common.yes") if bool(v) else tr("common.no")


#: Keys of a scenario's per-enterprise overrides (``enterprises.<id>.<key>``) the pages show.
OVERRIDE_KEYS = ("grade", "lock", "exempt", "ceiling", "load_cap", "control_type", "reason")


def override_key_name(key: str) -> str:
    """锁定 / 豁免 … for an override key."""
    return tr(f"override.{key}") if key in OVERRIDE_KEYS else str(key)


def override_value(key: str, v) -> str:
    """Format an override's value for people.

    Grade and control type by name, shares in %, a lock per level, 是/否; ``—（按清单）`` when the
    override is absent (the list's own value applies).
    """
    if missing(v) if not isinstance(v, dict) else False:
        return tr("common.dash_list")
    if key == "grade":
        return tr(f"grade.{v}")
    if key == "control_type":
        return tr(f"control.{v}")
    if key == "exempt":
        return yes_no(v)
    if key == "lock" and isinstance(v, dict):
        return "，".join(f"{tr(f'level_short.{lv}')} {pct(x)}" for lv, x in v.items())
    if key in ("lock", "ceiling", "load_cap"):
        return pct(v)
    return str(v)


def show_chart(fig, key: str, money_axis: str | None = None) -> None:
    """Draw a plotly figure the same way on every page.

    Full numbers with thousands separators on a 万元 axis (``money_axis`` = ``"y"`` or ``"x"``; never
    ``600k``), dates as 12月11日 in Chinese, margins that make room for the tick labels and the
    legend, and no English toolbar tooltips in the Chinese UI.
    """
    zh = lang() == "zh"
    fig.update_layout(
        separators=".,",
        font={"family": "WenQuanYi Micro Hei, Noto Sans CJK SC, Microsoft YaHei, sans-serif"},
        hoverlabel={"namelength": -1},
    )
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    if money_axis == "y":
        fig.update_yaxes(tickformat=",.0f", exponentformat="none")
    elif money_axis == "x":
        fig.update_xaxes(tickformat=",.0f", exponentformat="none")
    if zh:
        for ax in ("xaxis", "yaxis"):
            if getattr(fig.layout, ax).type == "date":
                getattr(fig.layout, ax).update(tickformat="%m月%d日")
    if fig.layout.legend.orientation == "h":
        # a horizontal legend below the plot area, so it never covers the title or the bars
        fig.update_layout(legend={"y": -0.18, "yanchor": "top", "x": 0, "xanchor": "left"})
        m = fig.layout.margin
        fig.update_layout(margin={"b": max(m.b or 0, 40), "t": max(m.t or 0, 40)})
    st.plotly_chart(fig, key=key, config={"displayModeBar": not zh, "displaylogo": False})


_SHORT = re.compile(
    r"^(target not reachable|target not met \(solver stopped early\)): slot (\S+) (\S+): "
    r"short by (\S+) t \(max achievable share (\S+) of the target\)$"
)
_FIXED_MESSAGES = {
    "targets reachable by the bounds alone": "msg.reshortfall",
    "even with shortfall on every target": "msg.contradict",
    "no solver solution within the time limit": "msg.greedy_fallback",
    "solver option threads=": "msg.threads_ignored",
    "verification failed (": "msg.verify_failed",
    "verification against the inventory failed": "msg.verify_inventory",
}


def plan_messages(summary: dict) -> list[str]:
    """Return the plan's messages in the session's language.

    ``summary.json`` ``messages`` are written in English for the log and the command line.  In
    Chinese: a shortfall with the slot's and pollutant's names, tonnes per day and the share
    reachable; the other known messages by their translation; the verifier's details only as a count
    (they are in the server log).
    """
    msgs = [str(m) for m in summary.get("messages") or []]
    if lang() != "zh":
        return msgs
    out: list[str] = []
    details = 0
    for m in msgs:
        hit = _SHORT.match(m)
        if hit:
            what, slot, pol, tonnes, share = hit.groups()
            out.append(
                tr(
                    "msg.short" if what == "target not reachable" else "msg.short_early",
                    slot=slot_name(slot),
                    pollutant=tr(f"pollutant.{pol}"),
                    tonnes=fmt_num(float(tonnes), 2),
                    share=pct(float(share)),
                )
            )
            continue
        key = next((k for start, k in _FIXED_MESSAGES.items() if m.startswith(start)), None)
        if key:
            out.append(tr(key))
        else:
            details += 1
    if details:
        log.info("plan messages not shown in Chinese: %s", msgs)
        out.append(tr("msg.details", n=details))
    return out


#: Streamlit's own English texts drawn by its widgets (react-aria, locale fixed to en-US) that
#: no parameter changes, as patterns with the i18n key of their translation: the screen-reader
#: announcements of a select box or multiselect ("1,254 options available.", "E0001 …,
#: selected") — read aloud, and part of the page's text although off screen — and the empty
#: list of a filtered box ("No results", "You can only select up to 4 options. …").
WIDGET_TEXTS = (
    (r"^([\d,]+) options? available\.$", "common.sr_options", ("n",)),
    (r"^(.+), selected$", "common.sr_selected", ("option",)),
    (r"^No results$", "common.no_results", ()),
    (r"^You can only select up to (\d+) options?\. Remove an option first\.$", "common.max_selected", ("n",)),
)

#: The browser side of :data:`WIDGET_TEXTS`: one MutationObserver per page that rewrites those
#: texts where Streamlit puts them (the live announcer, an empty drop-down list) as soon as they
#: are drawn, before a screen reader reads them.  ``__TEXTS__`` is the language's rules (null in
#: English: Streamlit's texts are English already); a later run only swaps them.
_WIDGET_TEXTS_JS = r"""
(() => {
  window.plannerWidgetTexts = __TEXTS__;
  if (window.plannerWidgetObserver) { window.plannerWidgetObserver.fix(); return; }
  const translate = (el) => {
    const rules = window.plannerWidgetTexts;
    if (!rules || el.childElementCount) return;
    const text = el.textContent.trim();
    for (const [pattern, template, names] of rules) {
      const m = text.match(new RegExp(pattern, "s"));
      if (!m) continue;
      // counts come grouped the en-US way ("1,254"): the Chinese text shows them plain
      const args = Object.fromEntries(
        names.map((n, i) => [n, n === "n" ? m[i + 1].replace(/,/g, "") : m[i + 1]]));
      const out = template.replace(/\{(\w+)\}/g, (_, k) => args[k] ?? "");
      const only = el.firstChild;  // keep React's own text node where there is one
      if (only && only === el.lastChild && only.nodeType === Node.TEXT_NODE) only.nodeValue = out;
      else el.textContent = out;
      return;
    }
  };
  const fix = () => document
    .querySelectorAll("[data-live-announcer] [role=log] > div, [role=listbox][data-empty] *")
    .forEach(translate);
  const observer = new MutationObserver(fix);
  observer.observe(document.body, {childList: true, subtree: true, characterData: true});
  observer.fix = fix;
  window.plannerWidgetObserver = observer;
  fix();
})();
"""


def widget_texts_script(language: str) -> str:
    """Return the ``<script>`` that translates :data:`WIDGET_TEXTS` in the browser.

    Its rules are empty in English.
    """
    import json

    rules = (
        [[pattern, t(key, language), list(names)] for pattern, key, names in WIDGET_TEXTS]
        if language == "zh"
        else None
    )
    data = json.dumps(rules, ensure_ascii=False).replace("<", "\\u003c")
    return (
        # the element holding the script takes no room in the sidebar
        '<style>[data-testid="stElementContainer"]:has(script[data-planner="widget-texts"])'
        "{display:none}</style>"
        '<script data-planner="widget-texts">' + _WIDGET_TEXTS_JS.replace("__TEXTS__", data) + "</script>"
    )


def localise_widgets() -> None:
    """Translate Streamlit's own texts that have no parameter, in the Chinese UI.

    The file uploader's button and size line and the "Stop" button of a running script are replaced
    by style rules (the English text is hidden, the Chinese drawn in its place); the select boxes'
    screen-reader announcements and empty-list texts by a small script (:data:`WIDGET_TEXTS`, in a
    hidden element of the sidebar).  Called once per run by ``app.py``.
    """
    st.sidebar.html(widget_texts_script(lang()), unsafe_allow_javascript=True)
    if lang() != "zh":
        return
    limit = st.get_option("server.maxUploadSize")
    button = tr("common.upload_button").replace('"', "")
    note = tr("common.upload_limit", mb=limit).replace('"', "")
    stop = tr("common.stop").replace('"', "")
    st.html(
        "<style>"
        '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p'
        "{display:none}"
        '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]::after'
        f'{{content:"{button}"}}'
        '[data-testid="stFileUploaderDropzoneInstructions"] span{display:none}'
        '[data-testid="stFileUploaderDropzoneInstructions"] > div::after'
        f'{{content:"{note}";font-size:14px;opacity:.7}}'
        '[data-testid="stStatusWidget"] button{font-size:0}'
        f'[data-testid="stStatusWidget"] button::after{{content:"{stop}";font-size:14px}}'
        "</style>"
    )
