"""``planner access issue|revoke|list`` and ``planner publish`` (drafts, approvers, audit log)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from planner.app import access
from planner.cli.main import main
from planner.scenario import revisions

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def scen(tmp_path, monkeypatch):
    """demo_list.yaml in a private folder (absolute data paths), no officials configured."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    text = (REPO / "scenarios" / "demo_list.yaml").read_text(encoding="utf-8")
    (folder / "demo_list.yaml").write_text(
        text.replace("../data/", str(REPO / "data") + "/"), encoding="utf-8"
    )
    monkeypatch.delenv(access.ENV_CODES, raising=False)
    monkeypatch.delenv(access.ENV_HASH, raising=False)
    monkeypatch.setenv(access.ENV_CONFIG_DIR, str(tmp_path / "cfg"))
    return folder / "demo_list.yaml"


def test_help_of_the_new_commands(capsys):
    for cmd in (["access", "--help"], ["access", "issue", "--help"], ["publish", "--help"]):
        with pytest.raises(SystemExit) as exc:
            main(cmd)
        assert exc.value.code == 0
    assert "--revision" in capsys.readouterr().out


def test_issue_list_revoke(scen, tmp_path, capsys):
    assert main(["access", "issue", str(scen), "E0001", "E0002", "--author", "王工", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    store = scen.parent / ".access" / "codes.toml"
    assert out["codes_file"] == str(store) and len(out["issued"]) == 2
    codes = {r["enterprise_id"]: r["code"] for r in out["issued"]}
    stored = store.read_text(encoding="utf-8")
    assert not [c for c in codes.values() if c in stored or access.normalise_access_code(c) in stored]
    inv = yaml.safe_load(scen.read_text(encoding="utf-8"))["inventory"]
    assert not [c for c in codes.values() if c in Path(inv).read_text(encoding="utf-8")]  # never in the list
    letters = tmp_path / "letters" / "letters.html"
    assert (
        main(["access", "issue", str(scen), "--missing", "--author", "王工", "--letters", str(letters)]) == 0
    )
    text = capsys.readouterr().out
    assert str(letters) in text and "the codes are shown only now" not in text
    html = letters.read_text(encoding="utf-8")
    assert html.count('class="letter"') >= 10 and "查询码" in html
    assert main(["access", "revoke", str(scen), "E0001", "--author", "李工"]) == 0
    e0001 = next(
        line for line in Path(inv).read_text(encoding="utf-8").splitlines() if line.startswith("E0001,")
    )
    assert e0001.split(",")[2] in capsys.readouterr().out  # E0001's credit code, from the demo list
    assert main(["access", "list", str(scen), "--format", "json"]) == 0
    rows = {r["enterprise_id"]: r for r in json.loads(capsys.readouterr().out)["enterprises"]}
    assert rows["E0001"]["status"] == "revoked" and rows["E0001"]["revoked_by"] == "李工"
    assert rows["E0002"]["status"] == "active"
    assert main(["access", "list", str(scen)]) == 0
    assert "revoked" in capsys.readouterr().out


def test_issue_bad_input_exit_2(scen, capsys):
    assert main(["access", "issue", str(scen), "E9999", "--author", "x"]) == 2
    assert "E9999" in capsys.readouterr().err
    assert main(["access", "issue", str(scen), "--author", "x"]) == 2
    store = scen.parent / ".access" / "codes.toml"
    store.parent.mkdir()
    store.write_text("not toml [", encoding="utf-8")
    assert main(["access", "list", str(scen)]) == 2
    err = capsys.readouterr().err
    assert "codes.toml" in err and "Traceback" not in err


def test_save_is_a_draft_publish_records_who_and_what(scen, tmp_path, capsys):
    copy = tmp_path / "copy.yaml"
    assert main(["save", str(scen), "--checkout", str(copy)]) == 0
    lines = copy.read_text(encoding="utf-8").splitlines()
    lines = [("description: 草稿一" if ln.startswith("description:") else ln) for ln in lines]
    copy.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["save", str(scen), "--from", str(copy), "--author", "李工", "-m", "draft"]) == 0
    rev = revisions.current_revision(scen)
    assert revisions.revision_states(scen)[rev] == "draft" and revisions.published_file(scen) is None
    capsys.readouterr()
    assert main(["publish", str(scen), "--revision", rev[:6], "--author", "王工", "-m", "批准"]) == 0
    out = capsys.readouterr().out
    assert f"published demo_list.yaml revision {rev}" in out and "description" in out
    pub = revisions.published(scen)
    assert pub["author"] == "王工" and pub["message"] == "批准" and pub["time"]
    snap = revisions.published_file(scen)
    assert (
        snap.name == ".demo_list.published.yaml"
        and yaml.safe_load(snap.read_text(encoding="utf-8"))["description"] == "草稿一"
    )
    assert pub["inputs"]["inventory"]["sha256"]
    assert main(["save", str(scen), "--log"]) == 0
    log = capsys.readouterr().out
    assert "[published]" in log and "PUBLISH #0000" in log and "王工" in log
    assert main(["publish", str(scen), "--list"]) == 0
    assert rev in capsys.readouterr().out
    # unknown revision, blank author: exit 2 with a message
    assert main(["publish", str(scen), "--revision", "ffffff", "--author", "x"]) == 2
    assert main(["publish", str(scen), "--revision", rev, "--author", "  "]) == 2
    assert main(["save", str(scen), "--from", str(copy), "--author", "   "]) == 2


def test_publish_needs_an_approver_when_officials_are_configured(scen, tmp_path, capsys):
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    h = access.hash_password("x-123456", iterations=1000)
    (cfg / "officials.toml").write_text(
        f'[users.wang]\npassword_hash = "{h}"\nroles = ["editor", "approver"]\n'
        f'[users.li]\npassword_hash = "{h}"\nroles = ["editor"]\n',
        encoding="utf-8",
    )
    assert main(["publish", str(scen), "--revision", "current", "--author", "li"]) == 2
    assert "approver" in capsys.readouterr().err
    assert revisions.published(scen) is None
    assert main(["publish", str(scen), "--revision", "current", "--author", "wang"]) == 0
    assert revisions.published(scen)["author"] == "wang"


def test_published_copy_is_restored_from_the_record(scen):
    revisions.publish(scen, "current", author="x")
    snap = revisions.snapshot_path(scen)
    good = snap.read_text(encoding="utf-8")
    snap.write_text("name: tampered\n", encoding="utf-8")
    assert revisions.published_file(scen).read_text(encoding="utf-8") == good
    snap.unlink()
    assert revisions.published_file(scen).read_text(encoding="utf-8") == good
    shutil.copy(scen, scen.with_name("other.yaml"))
    assert revisions.published_file(scen.with_name("other.yaml")) is None
