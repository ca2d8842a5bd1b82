"""Revisions: atomic saves, history, conflicts (planner.scenario.revisions and ``planner save``)."""

from __future__ import annotations

import os

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.cli.main import main
from planner.problems import InputError
from planner.scenario import revisions
from planner.scenario.revisions import ConflictError, current_revision, history, save_revision


@pytest.fixture
def scen(tmp_path):
    """A valid scenario in tmp_path/scenarios with dummy inventory and city files."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "enterprises.csv").write_text("x\n", encoding="utf-8")
    (data / "city.yaml").write_text("name: x\n", encoding="utf-8")
    folder = tmp_path / "scenarios"
    folder.mkdir()
    path = folder / "s.yaml"
    path.write_text(
        "# the autumn list\nname: s\ninventory: ../data/enterprises.csv\ncity: ../data/city.yaml\n"
        "enterprises:\n  E1: {grade: C}\n",
        encoding="utf-8",
    )
    return path


def _data(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_revision_id_is_content_hash(scen):
    rev = current_revision(scen)
    assert rev == revisions.revision_of(scen.read_bytes()) and len(rev) == 12
    assert current_revision(scen.with_name("missing.yaml")) is None


def test_save_writes_history_with_diff_of_overrides(scen):
    rev0 = current_revision(scen)
    new = _data(scen)
    new["enterprises"]["E1"]["grade"] = "B"
    new["enterprises"]["E2"] = {"exempt": True}
    out = save_revision(scen, new, author="王工", message="E1 升B", expected_revision=rev0)
    assert out.parent == rev0 and out.revision == current_revision(scen)
    assert _data(scen) == new
    keys = {c["key"]: c for c in out.changes}
    assert keys["enterprises.E1.grade"] == {
        "key": "enterprises.E1.grade",
        "change": "changed",
        "before": "C",
        "after": "B",
    }
    assert keys["enterprises.E2.exempt"]["change"] == "added"
    log = history(scen)
    # revision found on disk (no history yet) + the new one
    assert [e["revision"] for e in log] == [rev0, out.revision]
    assert log[-1]["author"] == "王工" and log[-1]["message"] == "E1 升B"
    entry = yaml.safe_load(out.history_file.read_text(encoding="utf-8"))
    assert "+  E2:" in entry["diff"] or "E2" in entry["diff"]
    assert yaml.safe_load(entry["content"]) == new
    # the old text can be read back
    assert "# the autumn list" in revisions.read_revision(scen, rev0)


def test_second_save_from_same_revision_conflicts_and_writes_nothing(scen):
    rev0 = current_revision(scen)
    a = _data(scen)
    a["enterprises"]["E1"]["grade"] = "B"
    b = _data(scen)
    b["enterprises"]["E1"]["exempt"] = True
    save_revision(scen, a, author="alice", message="first", expected_revision=rev0)
    before = scen.read_bytes()
    n_hist = len(history(scen))
    with pytest.raises(ConflictError) as err:
        save_revision(scen, b, author="bob", message="second", expected_revision=rev0)
    assert scen.read_bytes() == before
    assert len(history(scen)) == n_hist
    e = err.value
    assert e.expected == rev0 and e.current == current_revision(scen)
    assert "alice" in str(e) and "NOT saved" in str(e)
    assert not e.suggestion.exists() and e.suggestion.parent == scen.parent
    # nothing lost: bob saves as a new scenario
    out = save_revision(e.suggestion, b, author="bob", expected_revision=None)
    assert _data(out.path) == b
    assert not list(scen.parent.glob("*.tmp")) and not list(scen.parent.glob("*.lock"))


def test_never_overwrites_without_expected_revision(scen):
    with pytest.raises(ConflictError, match="already exists"):
        save_revision(scen, _data(scen), author="x", expected_revision=None)


def test_invalid_scenario_is_not_written(scen):
    before = scen.read_bytes()
    bad = _data(scen)
    bad["optionz"] = {}
    with pytest.raises(InputError, match="did you mean 'options'"):
        save_revision(scen, bad, author="x", expected_revision=current_revision(scen))
    assert scen.read_bytes() == before
    assert not list(scen.parent.glob(".*.tmp"))


def test_interrupted_save_keeps_old_file(scen, monkeypatch):
    before = scen.read_bytes()
    new = _data(scen)
    new["description"] = "changed"

    def boom(src, dst):
        # a crash at the rename: the new text was written to the temp file but never moved
        raise OSError("disk full / power cut")

    monkeypatch.setattr(revisions.os, "replace", boom)
    with pytest.raises(OSError, match="power cut"):
        save_revision(scen, new, author="x", expected_revision=current_revision(scen))
    monkeypatch.undo()
    assert scen.read_bytes() == before
    assert not [p for p in scen.parent.iterdir() if p.suffix in (".tmp", ".lock")]
    # and a later save still works
    save_revision(scen, new, author="x", expected_revision=revisions.revision_of(before))
    assert _data(scen)["description"] == "changed"


def test_interrupted_mid_write_keeps_old_file(scen, monkeypatch):
    before = scen.read_bytes()
    new = _data(scen)
    new["description"] = "x" * 1000
    real_fsync = os.fsync

    def fail_fsync(fd):
        raise OSError("I/O error while writing")

    monkeypatch.setattr(revisions.os, "fsync", fail_fsync)
    with pytest.raises(OSError, match="I/O error"):
        save_revision(scen, new, author="x", expected_revision=current_revision(scen))
    monkeypatch.setattr(revisions.os, "fsync", real_fsync)
    assert scen.read_bytes() == before
    assert not [p for p in scen.parent.iterdir() if p.name.endswith(".tmp")]


def test_stale_lock_is_broken(scen):
    lock = scen.with_name(scen.name + ".lock")
    lock.write_text("1\n")
    old = lock.stat().st_mtime - revisions.STALE_LOCK_SECONDS - 5
    os.utime(lock, (old, old))
    new = _data(scen)
    new["description"] = "after crash"
    save_revision(scen, new, author="x", expected_revision=current_revision(scen))
    assert not lock.exists()


def test_cli_checkout_edit_save_and_conflict(scen, tmp_path, capsys):
    copy_a = tmp_path / "a.yaml"
    copy_b = tmp_path / "b.yaml"
    assert main(["save", str(scen), "--checkout", str(copy_a)]) == 0
    assert main(["save", str(scen), "--checkout", str(copy_b)]) == 0
    assert copy_a.read_text(encoding="utf-8").startswith("# base-revision: ")
    # the copy lives in another folder: its paths are absolute so that it loads as it is
    assert _data(copy_a)["inventory"] == str((tmp_path / "data" / "enterprises.csv").resolve())
    a = copy_a.read_text(encoding="utf-8").replace("grade: C", "grade: B")
    copy_a.write_text(a, encoding="utf-8")
    copy_b.write_text(copy_b.read_text(encoding="utf-8") + "description: bob\n", encoding="utf-8")
    assert main(["save", str(scen), "--from", str(copy_a), "--author", "alice", "-m", "E1 升B"]) == 0
    out = capsys.readouterr().out
    assert "enterprises.E1.grade: 'C' -> 'B'" in out
    saved = _data(scen)
    assert saved["enterprises"]["E1"]["grade"] == "B"
    # the copy lived in another folder: its paths were rebased and back again
    assert saved["inventory"] == "../data/enterprises.csv"
    before = scen.read_bytes()
    assert main(["save", str(scen), "--from", str(copy_b), "--author", "bob"]) == 3  # conflict
    err = capsys.readouterr().err
    assert "CONFLICT" in err and "alice" in err
    assert scen.read_bytes() == before
    new_file = scen.with_name("s.bob.yaml")
    assert main(["save", str(scen), "--from", str(copy_b), "--author", "bob", "--as", str(new_file)]) == 0
    assert _data(new_file)["description"] == "bob"
    assert _data(new_file)["inventory"] == "../data/enterprises.csv"  # relative again
    assert main(["save", str(scen), "--log"]) == 0
    log = capsys.readouterr().out
    assert "alice" in log and "E1 升B" in log


def test_cli_save_same_folder_keeps_comments(scen, capsys):
    rev = current_revision(scen)
    revised = scen.with_name("s_edit.yaml")
    revised.write_text(scen.read_text(encoding="utf-8").replace("grade: C", "grade: B"), encoding="utf-8")
    assert main(["save", str(scen), "--from", str(revised), "--expected-revision", rev, "--author", "a"]) == 0
    assert scen.read_text(encoding="utf-8").startswith("# the autumn list")


def test_cli_bad_input_exit_2(scen, capsys):
    assert main(["save", str(scen), "--from", str(scen.with_name("nope.yaml"))]) == 2
    assert main(["save", str(scen)]) == 2


def test_concurrent_saves_from_one_revision_exactly_one_wins(scen):
    """Two people (threads) save edits of the same revision at once: one saves, one sees a conflict."""
    import threading

    rev0 = current_revision(scen)
    outcomes = {}
    start = threading.Barrier(2)

    def save(who):
        data = _data(scen)
        data["description"] = who
        start.wait()
        try:
            save_revision(scen, data, author=who, expected_revision=rev0)
            outcomes[who] = "saved"
        except ConflictError:
            outcomes[who] = "conflict"

    threads = [threading.Thread(target=save, args=(w,)) for w in ("alice", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes.values()) == ["conflict", "saved"]
    winner = next(w for w, o in outcomes.items() if o == "saved")
    assert _data(scen)["description"] == winner
    assert [e["author"] for e in history(scen)][-1] == winner


def _apply(old: dict, changes: list[dict]) -> dict:
    import copy

    out = copy.deepcopy(old)
    for c in changes:
        *parents, leaf = c["key"].split(".")
        node = out
        for k in parents:
            if not isinstance(node.get(k), dict):
                node[k] = {}
            node = node[k]
        if c["change"] == "removed":
            node.pop(leaf, None)
        else:
            node[leaf] = c["after"]
    return out


def _prune(d):
    """Drop empty mappings left behind by removals (a diff of leaves cannot see them)."""
    if isinstance(d, dict):
        return {k: _prune(v) for k, v in d.items() if not (isinstance(v, dict) and not _prune(v))}
    return d


_keys = st.sampled_from(["grade", "exempt", "E1", "E2", "orange", "NOx", "lock"])
_leaf = st.one_of(
    st.integers(0, 3),
    st.sampled_from(["A", "B", "C"]),
    st.booleans(),
    st.lists(st.integers(0, 2), max_size=2),
)
_tree = st.recursive(_leaf, lambda ch: st.dictionaries(_keys, ch, min_size=1, max_size=3), max_leaves=8)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(_keys, _tree, max_size=4), st.dictionaries(_keys, _tree, max_size=4))
def test_diff_mappings_replays_to_the_new_mapping(old, new):
    from planner.scenario.revisions import diff_mappings

    changes = diff_mappings(old, new)
    assert _prune(_apply(old, changes)) == _prune(new)
    assert (changes == []) == (_prune(old) == _prune(new))
