"""Curator decisions: loading, validation with file:line errors, applying, safe appends."""

from __future__ import annotations

import json
import multiprocessing
from datetime import datetime, timezone

import pytest
from records_kit import cite, doc, pct

from conftest import ROOT
from pipeline import decisions, reconcile
from pipeline.records import Conflict

STAMP = "2026-11-21T07:00:00+00:00"


def _conflict(cid="c1", evidence="e1") -> Conflict:
    return Conflict(cid, "rounding", "sabino_2013", "PERCENTAGE", "33.3 %", "33 %", "m1", "m2",
                    "s1", "s2", evidence)


def _record(cid="c1", decision="accept_a", evidence="e1", **kw) -> dict:
    out = {"conflict_id": cid, "decision": decision, "curator": "ana", "decided_at": STAMP,
           "evidence_hash": evidence}
    out.update(kw)
    return out


def _write(path, *records):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


def test_committed_decisions_file_loads():
    assert decisions.load(ROOT / "rules" / "decisions.jsonl") == {}


def test_missing_file_means_no_decisions(tmp_path):
    assert decisions.load(tmp_path / "none.jsonl") == {}


def test_last_line_per_conflict_wins(tmp_path):
    path = _write(tmp_path / "d.jsonl", _record(), "", _record("c2", "both_valid"),
                  _record(decision="neither", value="0.41", comment="both wrong"))
    got = decisions.load(path)
    assert set(got) == {"c1", "c2"}
    assert (got["c1"].decision, got["c1"].value, got["c1"].comment, got["c1"].line) == (
        "neither", "0.41", "both wrong", 4)


@pytest.mark.parametrize("line, reason", [
    ('{"conflict_id": oops}', "Expecting value"),
    ('["a list"]', "must be a JSON object"),
    (json.dumps(_record(decision="maybe")), "decision 'maybe' is not one of"),
    (json.dumps(_record(decided_at="yesterday")), "not an ISO timestamp"),
    (json.dumps(_record(extra=1)), "unknown key(s) ['extra']"),
    (json.dumps(_record(curator=5)), "'curator' must be a string"),
    (json.dumps(_record(value="0.4")), "only for decision 'neither'"),
])
def test_bad_line_names_file_and_line(tmp_path, line, reason):
    path = _write(tmp_path / "d.jsonl", _record(), line)
    with pytest.raises(decisions.DecisionError) as err:
        decisions.load(path)
    assert str(err.value).startswith(f"{path}:2: ") and reason in str(err.value)


def test_apply_resolves_reopens_and_leaves_open():
    decided = {"c1": decisions.parse(_record("c1", evidence="e1")),
               "c2": decisions.parse(_record("c2", "accept_b", evidence="old")),
               "gone": decisions.parse(_record("gone"))}
    out = decisions.apply([_conflict("c1", "e1"), _conflict("c2", "e2"), _conflict("c3")], decided)
    assert [c.status for c in out] == ["resolved", "reopened", "open"]
    assert (out[0].decision, out[0].decided_by, out[0].decided_at) == ("accept_a", "ana", STAMP)
    assert out[1].decision == "accept_b"  # the earlier decision stays visible when reopened
    assert decisions.orphans(out, decided) == ["gone"]


def test_append_writes_one_line_each_and_validates(tmp_path):
    path = tmp_path / "rules" / "decisions.jsonl"
    path.parent.mkdir()
    decisions.append(path, _record())
    decisions.append(path, _record("c2", "neither", value=0.4, comment="ok"))
    with pytest.raises(ValueError):
        decisions.append(path, _record(decision="maybe"))
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[1])["value"] == 0.4
    assert decisions.load(path)["c2"].value == "0.4"


def test_append_after_a_hand_edit_without_final_newline(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(_record()))
    decisions.append(path, _record("c2"))
    assert set(decisions.load(path)) == {"c1", "c2"}


def test_record_for_carries_the_current_evidence():
    c = _conflict("c9", "abc")
    rec = decisions.record_for(c, "both_valid", "ana", "arms",
                               now=datetime(2026, 11, 21, 7, tzinfo=timezone.utc))
    assert decisions.parse(rec).evidence_hash == "abc"
    assert rec["decided_at"] == STAMP
    row = {"conflict_id": "c9", "evidence_hash": "abc", "kind": "rounding"}  # a conflicts.csv row
    assert decisions.record_for(row, "neither", "ana", value="0.4")["value"] == "0.4"


def _writer(path: str, n: int, who: str) -> None:
    for i in range(n):
        decisions.append(path, _record(f"{who}-{i}", comment="x" * 3000))


def test_concurrent_appends_never_interleave(tmp_path):
    path = tmp_path / "d.jsonl"
    # spawn, not fork: the test session may hold threads (Prefect harness) a fork would copy.
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), 40, w)) for w in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(180)
    assert all(p.exitcode == 0 for p in procs)
    assert len(decisions.load(path)) == 80


def test_run_applies_decisions_and_reopens_on_changed_evidence(tmp_path):
    a = doc("Intake fell 33.3% (Sabino et al., 2013).", "000")
    b = doc("Fell by 33% (Sabino et al., 2013).", "002")
    ms = [pct(a, "33.3%", 33.3), pct(b, "33%", 33),
          cite(a, "(Sabino et al., 2013)", "Sabino", "2013"),
          cite(b, "(Sabino et al., 2013)", "Sabino", "2013")]
    path = tmp_path / "decisions.jsonl"
    [c] = reconcile.run([a, b], ms, [], path)[2]
    assert c.status == "open"
    decisions.append(path, decisions.record_for(c, "accept_a", "ana", "33.3 is the paper's"))
    [c] = reconcile.run([a, b], ms, [], path)[2]
    assert (c.status, c.decision, c.comment) == ("resolved", "accept_a", "33.3 is the paper's")
    changed = [m.with_(sentence="Intake fell 33.3% in rats.") if m.text == "33.3%" else m
               for m in ms]
    [c] = reconcile.run([a, b], changed, [], path)[2]
    assert c.status == "reopened"
    assert reconcile.open_by_kind([c])["rounding"] == 1


def test_run_stops_on_a_bad_decisions_file(tmp_path):
    path = _write(tmp_path / "decisions.jsonl", '{"oops"}')
    with pytest.raises(decisions.DecisionError, match="decisions.jsonl:1:"):
        reconcile.run([], [], [], path)


def test_a_line_torn_by_a_crash_is_skipped_not_fatal(tmp_path):
    path = _write(tmp_path / "d.jsonl", _record("c1"), '{"conflict_id": "c2", "deci', _record("c3"))
    assert sorted(decisions.load(path)) == ["c1", "c3"]
