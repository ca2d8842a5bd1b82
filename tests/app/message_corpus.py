"""A corpus of realistic bad inputs built from the demo files, and the problems the library reports.

Used by ``tests/app/test_message_catalogue.py``: every message the library gives for these inputs
must be matched by the message catalogue ``data/i18n/messages.yaml`` (so a new English message
without a Chinese translation fails, naming it).

Each case writes one or more broken files under a private copy of the demo project
(``<tmp>/data/demo_city`` and ``<tmp>/scenarios``) and runs the loader a user's action runs: the
inventory and lines validators (upload), the forecast reader (upload), the scenario loader and
:func:`planner.scenario.run.prepare` (a plan).
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from planner import DATA_DIR
from planner.problems import InputError, Problem, Problems

DEMO = DATA_DIR / "demo_city"
SCENARIOS = DATA_DIR.parent / "scenarios"


@dataclass(frozen=True)
class Case:
    """One bad input: a name and the call that reads it (returns Problems or raises InputError)."""

    name: str
    run: Callable[[], object]


def problems_of(case: Case) -> list[Problem]:
    """Every problem (errors and warnings) the library reports for a case."""
    try:
        out = case.run()
    except InputError as err:
        return list(err.problems)
    if isinstance(out, Problems):
        return list(out)
    if isinstance(out, tuple | list) and out and isinstance(out[0], Problems):
        return list(out[0])
    inv_warnings = getattr(out, "warnings", None)
    if isinstance(inv_warnings, Problems):
        return list(inv_warnings)
    return []


# --------------------------------------------------------------------------- project copy
class Project:
    """A private copy of the demo city and the demo scenarios under ``root``."""

    def __init__(self, root: Path):
        self.root = root
        self.data = root / "data" / "demo_city"
        self.scen = root / "scenarios"
        shutil.copytree(DEMO, self.data)
        self.scen.mkdir(parents=True)
        shutil.copy(SCENARIOS / "demo_list.yaml", self.scen / "demo_list.yaml")
        shutil.copy(SCENARIOS / "demo_episode.yaml", self.scen / "demo_episode.yaml")
        self.inventory = pd.read_csv(self.data / "enterprises.csv", dtype=str, keep_default_na=False)
        self.lines = pd.read_csv(self.data / "lines.csv", dtype=str, keep_default_na=False)
        self._n = 0

    def name(self, stem: str, ext: str) -> Path:
        self._n += 1
        return self.data / f"{stem}_{self._n}.{ext}"

    # inventories ---------------------------------------------------------------------------
    def inv(
        self, edit: Callable[[pd.DataFrame], pd.DataFrame | None], rows: int = 30, xlsx: bool = False
    ) -> Path:
        """An inventory of the first ``rows`` demo firms, edited by ``edit`` (in place or returned)."""
        df = self.inventory.head(rows).copy()
        out = edit(df)
        df = df if out is None else out
        if xlsx:
            path = self.name("bad_list", "xlsx")
            df.to_excel(path, index=False)
        else:
            path = self.name("bad_list", "csv")
            df.to_csv(path, index=False)
        return path

    def inv_text(self, text: str, encoding: str = "utf-8") -> Path:
        path = self.name("bad_list", "csv")
        path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
        return path

    def lines_file(self, edit: Callable[[pd.DataFrame], pd.DataFrame | None]) -> Path:
        df = self.lines.copy()
        out = edit(df)
        df = df if out is None else out
        path = self.name("bad_lines", "csv")
        df.to_csv(path, index=False)
        return path

    # scenarios -----------------------------------------------------------------------------
    def scenario(self, text: str, base: str = "demo_list.yaml") -> Path:
        """A scenario file in ``scenarios/``: ``base: <base>`` plus ``text`` (or ``text`` alone when
        ``base`` is empty)."""
        self._n += 1
        path = self.scen / f"bad_{self._n}.yaml"
        head = f"base: {base}\n" if base else ""
        path.write_text(head + text, encoding="utf-8")
        return path

    def yaml_file(self, stem: str, text: str) -> Path:
        path = self.name(stem, "yaml")
        path.write_text(text, encoding="utf-8")
        return path

    def rel(self, path: Path) -> str:
        """``path`` as a scenario in ``scenarios/`` names it."""
        return "../data/demo_city/" + path.name

    # forecasts -----------------------------------------------------------------------------
    def forecast(self, edit: Callable[[xr.Dataset], xr.Dataset]) -> Path:
        ds = xr.open_dataset(DEMO / "forecast.nc").load()
        ds = edit(ds)
        path = self.name("bad_forecast", "nc")
        ds.to_netcdf(path)
        return path


def _set(col: str, value: str, row: int = 0):
    def edit(df: pd.DataFrame) -> None:
        df.loc[df.index[row], col] = value

    return edit


def _drop(*cols: str):
    return lambda df: df.drop(columns=list(cols))


def _rename(old: str, new: str):
    return lambda df: df.rename(columns={old: new})


# --------------------------------------------------------------------------- the corpus
def build_corpus(root: Path) -> list[Case]:
    """The bad inputs (at least 60), written under ``root``."""
    from planner.inventory.lines import validate_lines
    from planner.inventory.table import validate_inventory
    from planner.policy.measures import load_measures
    from planner.policy.measures import load_plant_measures as load_plants
    from planner.policy.menus import load_menus
    from planner.scenario.files import load_scenario
    from planner.scenario.run import prepare
    from planner.targets.forecast import read_forecast
    from planner.targets.reductions import read_city

    p = Project(root)
    cases: list[Case] = []

    def inv(name, edit, rows=30, xlsx=False):
        path = p.inv(edit, rows, xlsx)
        cases.append(Case(f"inventory: {name}", lambda: validate_inventory(path)))

    def inv_raw(name, text, encoding="utf-8"):
        path = p.inv_text(text, encoding)
        cases.append(Case(f"inventory: {name}", lambda: validate_inventory(path)))

    def scen(name, text, base="demo_list.yaml", full=False):
        path = p.scenario(text, base)
        run = (lambda: prepare(load_scenario(path))) if full else (lambda: load_scenario(path))
        cases.append(Case(f"scenario: {name}", run))

    # --- inventory: columns
    inv("required column missing", _drop("credit_code"))
    inv("industry column missing", _drop("industry"))
    inv("all emission columns missing", _drop("SO2", "NOx", "PM", "VOCs"))
    inv("unknown column", _rename("park", "park_zone_xx"))
    inv("column given twice", lambda df: df.assign(**{"二氧化硫": df["SO2"]}))
    inv("values without header", lambda df: df.assign(**{"": "x"}))
    inv("missing coordinates", _drop("lat", "lon"))
    # --- inventory: numbers
    inv("SO2 not a number", _set("SO2", "abc"))
    inv("NOx with words", _set("NOx", "约12吨"))
    inv("full-width digits with a unit", _set("PM", "１２.５吨"))
    inv("negative emission", _set("VOCs", "-3"))
    inv("empty emission", _set("SO2", ""))
    inv("number too large", _set("NOx", "1e309"))
    inv("all emissions zero", lambda df: df.assign(SO2="0", NOx="0", PM="0", VOCs="0").head(3))
    inv("output value zero", _set("output_value", "0"))
    inv("output value not a number", _set("output_value", "很多"))
    # --- inventory: ids and codes
    inv("bad credit code check digit", _set("credit_code", "91139902844056602Q"))
    inv("credit code too short", _set("credit_code", "9113990284405"))
    inv("credit code with letters I/O", _set("credit_code", "91139902O44056602P"))
    inv(
        "duplicate credit code",
        lambda df: df.assign(credit_code=[df["credit_code"].iloc[0]] * len(df)).head(3),
    )
    inv("duplicate enterprise id", _set("enterprise_id", "E0001", 1))
    inv("empty enterprise id", _set("enterprise_id", ""))
    inv("empty name", _set("name", ""))
    # --- inventory: vocabularies
    inv("unknown grade", _set("grade", "Z"))
    inv("unknown industry", _set("industry", "banana"))
    inv("unknown control type", _set("control_type", "banana"))
    inv("letter grade for a leading-graded industry", lambda df: _leading_industry(df, "B"))
    inv("leading grade for a lettered industry", _set("grade", "引领性"))
    # --- inventory: units and shares
    inv("unknown emission unit", _set("emission_unit", "lbs"))
    inv("header unit unknown", _rename("SO2", "SO2（磅）"))
    inv("header unit without period", _rename("NOx", "NOx（吨）"))
    inv(
        "unit contradicts header",
        lambda df: df.rename(columns={"PM": "PM（吨/年）"}).assign(emission_unit="kg/d"),
    )
    inv("unknown output value unit", _set("output_value_unit", "美元/年"))
    inv("output value header unit", _rename("output_value", "output_value（美元）"))
    inv("technical max cut outside 0-1", _set("technical_max_cut", "1.5"))
    inv("load cap for guarantee missing", lambda df: _guarantee(df, ""))
    inv("load cap above 1", lambda df: _guarantee(df, "2"))
    inv("load cap on a non-guarantee firm", _set("load_cap", "0.5"))
    inv("guarantee firm without load cap column", lambda df: _guarantee(df, "").drop(columns=["load_cap"]))
    inv("plant cut orange below yellow", lambda df: df.assign(plant_cut_yellow="0.5", plant_cut_orange="0.3"))
    inv("line count zero", _set("line_count", "0"))
    inv("line count fractional", _set("line_count", "2.5"))
    inv("line count huge", _set("line_count", "99999999"))
    inv("permit above EIA capacity", lambda df: _capacity(df, "100", "200", "100"))
    inv("output above capacity", lambda df: _capacity(df, "100", "100", "300"))
    inv(
        "capacity units differ",
        lambda df: df.rename(
            columns={"capacity_eia": "环评产能（万吨）", "capacity_permit": "许可产能（吨）"}
        ),
    )
    inv("operating days 400", _set("operating_days", "400"))
    inv("CEMS count negative", _set("cems_count", "-1"))
    inv("sub-metering maybe", _set("power_submetering", "maybe"))
    inv("latitude not a number", _set("lat", "北纬37度"))
    inv("coordinates missing for a firm", lambda df: df.assign(lat=["", *list(df["lat"].iloc[1:])]))
    inv("electricity header unit", _rename("electricity", "electricity（桶）"))
    # --- inventory: xlsx
    inv("xlsx: required column missing", _drop("name"), xlsx=True)
    inv("xlsx: bad numbers", _set("SO2", "n/a"), xlsx=True)
    inv("xlsx: bad grade and negative", lambda df: df.assign(grade="Q", NOx="-1").head(2), xlsx=True)
    # --- inventory: workbooks (formulas without saved results, stray cells, a second sheet)
    cases.append(Case("inventory: xlsx formulas without results", _xlsx_case(p, _formula_sheet)))
    cases.append(Case("inventory: xlsx stray far cell", _xlsx_case(p, _stray_cell)))
    cases.append(Case("inventory: xlsx second sheet with another header", _xlsx_case(p, _other_sheet)))
    inv("coordinates swapped", lambda df: df.assign(lat=df["lon"], lon=df["lat"]).head(3))
    inv("latitude outside China", _set("lat", "60.5"))
    inv("unknown grade spelt as a word", _set("grade", "excellent"))
    # --- inventory: files that are no table
    inv_raw("empty file", "")
    inv_raw("only a header", "enterprise_id,name\n")
    inv_raw("pdf bytes", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    inv_raw("a row with too many cells", _csv(p.inventory.head(3)) + ",".join(["x"] * 60) + "\n")
    inv_raw("binary garbage", bytes(range(256)) * 4)
    inv_raw("a NUL byte in a cell", _csv(p.inventory.head(3)).replace("铸造", "铸\x00造", 1))
    inv_raw("one column only", "企业名称\n甲厂\n乙厂\n")
    inv_raw("quotes never closed", _csv(p.inventory.head(3)).replace("泰宇", '"泰宇', 1))
    inv_raw(
        "one undecodable byte",
        _csv(p.inventory.head(3)).encode("utf-8").replace("铸造".encode(), b"\xff\xfe", 1),
    )

    # --- lines
    def lines(name, edit):
        path = p.lines_file(edit)
        cases.append(Case(f"lines: {name}", lambda: validate_lines(path)))

    lines("unknown process", _set("process", "teleportation"))
    lines("share above 1", _set("output_share", "1.7"))
    lines("share not a number", _set("SO2_share", "half"))
    lines("required column missing", _drop("enterprise_id"))
    lines("negative capacity", _set("capacity", "-5"))
    lines("duplicate line id", _set("line_id", "2#电炉", 0))
    lines("line shares not adding up to 1", _set("enterprise_id", "E9999"))
    lines("capacity not a number", _set("capacity", "大"))
    lines("a firm split over the file", lambda df: _split_firm(df))

    # --- city file
    def city(name, text):
        path = p.yaml_file("bad_city", text)
        cases.append(Case(f"city: {name}", lambda: read_city(path)))

    good_city = (DEMO / "city.yaml").read_text(encoding="utf-8")
    city("unknown key", good_city + "\npopulaton: 3000000\n")
    city("total emission negative", good_city.replace("SO2: 36210.0", "SO2: -5", 1))
    city("total emission text", good_city.replace("NOx: 108790.0", "NOx: lots", 1))
    city("station latitude out of range", good_city.replace("lat: 37.0712", "lat: 137.0712", 1))
    city("not a mapping", "- a\n- b\n")

    # --- scenario files
    scen("misspelt top key", "sharez: {}\n")
    scen("discrete as text", "options:\n  discrete: 'no'\n")
    scen("unknown level in alert days", "alert_days: {purple: 3}\n")
    scen("negative alert days", "alert_days: {yellow: -1}\n")
    scen("huge alert days", "alert_days: {yellow: 1e400}\n")
    scen("share above 1", "shares:\n  yellow: {SO2: 1.5}\n")
    scen("share as percent text", "shares:\n  orange: {NOx: '20%'}\n")
    scen("unknown pollutant in shares", "shares:\n  red: {CO2: 0.2}\n")
    scen("inventory outside the project", "inventory: ../../../etc/passwd\n")
    scen("inventory a number", "inventory: 5\n")
    scen("inventory missing", "inventory: ../data/demo_city/nowhere.csv\n", full=True)
    scen("unknown rules", "rules: banana\n")
    scen("rules file outside", "rules: ../../rules.yaml\n")
    scen("base outside the project", "name: x\n", base="../../elsewhere.yaml")
    scen("base missing", "name: x\n", base="missing_base.yaml")
    scen("lock above 1", "enterprises:\n  E0001: {lock: 1.5}\n")
    scen("lock at an unknown level", "enterprises:\n  E0001:\n    lock: {purple: 0.5}\n")
    scen("unknown control type", "enterprises:\n  E0001: {control_type: banana}\n")
    scen("exempt as text", "enterprises:\n  E0001: {exempt: 'no'}\n")
    scen("unknown override key", "enterprises:\n  E0001: {locked: 0.3}\n")
    scen("override of an unknown firm", "enterprises:\n  E9999: {lock: 0.3}\n", full=True)
    scen("unknown mode", "mode: weekly\n")
    scen("presolve maybe", "solver:\n  presolve: maybe\n")
    scen("unknown backend", "solver:\n  backend: gurobi\n")
    scen("percentile true", "percentile: true\n")
    scen("percentile 150", "percentile: 150\n")
    scen("options a list", "options: [discrete]\n")
    scen("loss cap text", "options:\n  county_loss_cap: '25%'\n")
    scen("negative shortfall penalty", "options:\n  shortfall_penalty: -1\n")
    scen("aqi standard 2020", "aqi_standard: '2020'\n")
    scen("invalid YAML", "shares: {yellow: [\n")
    scen("duplicate key", "mode: list\nmode: episode\n")
    scen("a list, not a mapping", "- a\n- b\n", base="")
    scen(
        "non-industrial share above 1",
        "non_industrial:\n  - name: x\n    sector: dust\n    reductions:\n      yellow: {PM: 3}\n",
    )
    scen("non-industrial unknown key", "non_industrial:\n  - name: x\n    reductionz: {}\n")
    scen("lock below the order", "enterprises:\n  E0001:\n    lock: {yellow: 0.5, orange: 0.2}\n")
    scen("time limit negative", "solver:\n  time_limit: -3\n")
    scen(
        "unknown non-industrial measure",
        "non_industrial:\n  - id: construction_dusst\n    use: on\n",
        full=True,
    )
    scen("non-industrial use unknown", "non_industrial:\n  - id: construction_dust\n    use: maybe\n")
    scen("shares falling with the level", "shares:\n  orange: {SO2: 0.05}\n", full=True)
    scen("chance without an episode", "ensemble: {chance: 0.8}\n")
    scen("air goal without a target", "air_quality:\n  goal: {instead_of_shares: true}\n")
    scen("unknown grade override", "enterprises:\n  E0001: {grade: Q}\n", full=True)
    scen("bad inventory content", f"inventory: {p.rel(p.inv(_set('SO2', 'abc')))}\n", full=True)
    scen("bad lines content", f"lines: {p.rel(p.lines_file(_set('process', 'teleportation')))}\n", full=True)
    scen(
        "bad city content",
        f"city: {p.rel(p.yaml_file('city', good_city + chr(10) + 'populaton: 3' + chr(10)))}\n",
        full=True,
    )

    # --- forecasts
    def fc(name, edit):
        path = p.forecast(edit)
        cases.append(Case(f"forecast: {name}", lambda: read_forecast(path)))

    fc("PM2.5 missing", lambda ds: ds.drop_vars("PM2.5"))
    fc("negative concentrations", lambda ds: ds.assign({"PM10": -ds["PM10"]}))
    fc("no station dimension", lambda ds: ds.isel(station=0, drop=True))
    fc("infinite values", lambda ds: ds.assign({"SO2": ds["SO2"].where(ds["SO2"] < 0, np.inf)}))
    fc("duplicate times", lambda ds: xr.concat([ds.isel(time=[0]), ds], dim="time"))
    fc(
        "ten-minute steps",
        lambda ds: ds.assign_coords(time=pd.date_range("2026-12-10", periods=ds.sizes["time"], freq="10min")),
    )
    fc("zero stations", lambda ds: ds.isel(station=[]))
    fc("unknown unit", lambda ds: _attr(ds, "PM2.5", "units", "ppm"))
    fc("blank station id", lambda ds: ds.assign_coords(station=["", *ds["station"].values[1:]]))
    not_nc = p.name("forecast", "nc")
    not_nc.write_text("this is not a netcdf file\n")
    cases.append(Case("forecast: not a netCDF file", lambda: read_forecast(not_nc)))
    csv_fc = p.name("forecast", "csv")
    text = (DEMO / "forecast.csv").read_text(encoding="utf-8").splitlines()
    parts = text[3].split(",")
    parts[3] = "high"
    text[3] = ",".join(parts)
    csv_fc.write_text("\n".join(text[:400]) + "\n", encoding="utf-8")
    cases.append(Case("forecast: CSV value not a number", lambda: read_forecast(csv_fc)))
    csv_cols = p.name("forecast", "csv")
    csv_cols.write_text("time,station,PM25\n2026-12-10 00:00,9901A,100\n", encoding="utf-8")
    cases.append(Case("forecast: CSV without PM2.5 column", lambda: read_forecast(csv_cols)))

    fc("times not decoded", lambda ds: ds.assign_coords(time=np.arange(ds.sizes["time"])))
    fc("half-hour times", lambda ds: ds.assign_coords(time=ds["time"].values + np.timedelta64(30, "m")))
    fc("an extra dimension", lambda ds: ds.expand_dims(level=[1, 2]))
    csv_dup = p.name("forecast", "csv")
    rows = (DEMO / "forecast.csv").read_text(encoding="utf-8").splitlines()
    csv_dup.write_text("\n".join(rows[:50] + rows[1:3]) + "\n", encoding="utf-8")
    cases.append(Case("forecast: CSV duplicated rows", lambda: read_forecast(csv_dup)))
    csv_time = p.name("forecast", "csv")
    csv_time.write_text(
        "\n".join([rows[0], rows[1].replace("2026-12-10 00:00", "明天", 1), *rows[2:30]]) + "\n"
    )
    cases.append(Case("forecast: CSV time unreadable", lambda: read_forecast(csv_time)))

    # --- source-receptor files (air_quality.source_receptor)
    from planner.airquality.sr import read_sr

    def sr(name, text):
        path = p.name("sr", "csv")
        path.write_text(text, encoding="utf-8")
        cases.append(Case(f"source-receptor: {name}", lambda: read_sr(path)))

    head = "receptor,lag,pollutant,source,dC,units\n"
    unit = "ug m-3 per t d-1"
    sr("bad lag and unit", head + f"city,-1,NOx,E0001,0.1,{unit}\ncity,0,NOx,E0002,0.1,mg\n")
    sr(
        "unknown pollutant and empty receptor",
        head + f"city,0,CO2,E0001,0.1,{unit}\n,0,NOx,E0002,0.1,{unit}\n",
    )
    sr("coefficient not a number", head + f"city,0,NOx,E0001,lots,{unit}\n")
    sr("missing columns", "receptor,pollutant\ncity,NOx\n")
    sr("repeated rows", head + f"city,0,NOx,E0001,0.1,{unit}\ncity,0,NOx,E0001,0.2,{unit}\n")

    # --- measures, plants, menus files
    def policy_file(name, stem, text, loader):
        path = p.yaml_file(stem, text)
        cases.append(Case(f"{stem}: {name}", lambda: loader(path)))

    menus = (DEMO / "menus.yaml").read_text(encoding="utf-8")
    policy_file(
        "unknown firm key", "menus", menus.replace("extra_load_cut:", "extra_load_cutt:", 1), load_menus
    )
    policy_file(
        "share above 1", "menus", menus.replace("output_share: 0.2", "output_share: 1.2", 1), load_menus
    )
    policy_file("not a mapping", "menus", "[1, 2]\n", load_menus)
    measure = (DATA_DIR / "policy" / "measures" / "foundry.yaml").read_text(encoding="utf-8")
    policy_file("unknown key", "measures", measure + "\nbogus_key: 1\n", load_measures)
    policy_file("not a mapping", "measures", "just text\n", load_measures)
    policy_file("no plants mapping", "plants", "source: x\n", load_plants)
    policy_file("option listed at an unknown id", "menus", menus.replace("- cut20", "- cut2O", 1), load_menus)
    policy_file("option id twice", "menus", menus.replace("id: stop1", "id: cut20", 1), load_menus)
    policy_file(
        "unknown measure type",
        "plants",
        "source: x\nplants:\n  E0001:\n    yellow: [teleport]\n    orange: [teleport]\n    red: [teleport]\n",
        load_plants,
    )
    policy_file("unknown level", "plants", "source: x\nplants:\n  E0001:\n    purple: []\n", load_plants)
    return cases


# --------------------------------------------------------------------------- edit helpers
def _csv(df: pd.DataFrame) -> str:
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    return buf.getvalue()


def _leading_industry(df: pd.DataFrame, grade: str) -> None:
    from planner.policy.vocabulary import industries

    ind = industries()
    leading = [c for c, g in ind["graded_by"].items() if str(g) == "leading"]
    df.loc[df.index[0], "industry"] = leading[0] if leading else "coking"
    df.loc[df.index[0], "grade"] = grade


def _guarantee(df: pd.DataFrame, cap: str) -> pd.DataFrame:
    df.loc[df.index[0], "control_type"] = "guarantee"
    df.loc[df.index[0], "load_cap"] = cap
    return df


def _capacity(df: pd.DataFrame, eia: str, permit: str, last: str) -> None:
    df.loc[df.index[0], ["capacity_eia", "capacity_permit", "output_last_year"]] = [eia, permit, last]


def _split_firm(df: pd.DataFrame) -> pd.DataFrame:
    """The first firm's lines before and after another firm's."""
    first = df[df["enterprise_id"] == df["enterprise_id"].iloc[0]]
    other = df[df["enterprise_id"] != df["enterprise_id"].iloc[0]]
    return pd.concat([first.iloc[:1], other.iloc[:2], first.iloc[1:]])


def _xlsx_case(p: Project, build: Callable[[Path, pd.DataFrame], None]):
    from planner.inventory.table import validate_inventory

    path = p.name("bad_list", "xlsx")
    build(path, p.inventory.head(5))
    return lambda: validate_inventory(path)


def _formula_sheet(path: Path, df: pd.DataFrame) -> None:
    """Emission cells written as formulas (openpyxl saves no results)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(list(df.columns))
    for row in df.itertuples(index=False):
        ws.append(list(row))
    col = list(df.columns).index("SO2") + 1
    for r in range(2, len(df) + 2):
        ws.cell(r, col).value = f"=1+{r}"
    wb.save(path)


def _stray_cell(path: Path, df: pd.DataFrame) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(list(df.columns))
    for row in df.itertuples(index=False):
        ws.append(list(row))
    ws.cell(5000, 3).value = "x"
    wb.save(path)


def _other_sheet(path: Path, df: pd.DataFrame) -> None:
    with pd.ExcelWriter(path) as xw:
        df.to_excel(xw, sheet_name="清单", index=False)
        df[["enterprise_id", "name", "credit_code", "SO2"]].rename(columns={"SO2": "NOx"}).to_excel(
            xw, sheet_name="补充", index=False
        )


def _attr(ds: xr.Dataset, var: str, key: str, value: str) -> xr.Dataset:
    ds[var].attrs[key] = value
    return ds
