"""HTTP-level tests of ``litx review``.

Routes, CSRF/Origin checks, no file-system escape, and the append-only decisions file.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from review_support import HOSTILE, MENTION_COLUMNS, _write_csv
from review_support import _project_template, project, server  # noqa: F401 (fixtures)

from pipeline.review import store
from pipeline.review.data import paragraph_snippet, parse_bbox, sentence_snippet


def request(srv, method: str, target: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """Send ``target`` exactly as written (no client-side normalisation of '..')."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.server_address[1], timeout=10)
    try:
        conn.request(method, target, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def get_json(srv, target: str) -> dict:
    status, _, body = request(srv, "GET", target)
    assert status == 200, (target, body)
    return json.loads(body)


def token_of(srv) -> str:
    _, _, body = request(srv, "GET", "/")
    return re.search(rb'name="csrf-token" content="([^"]+)"', body).group(1).decode()


def post_decision(srv, payload: dict, token: str | None = None,
                  override: dict[str, str | None] | None = None):
    """POST a decision as the page would; ``override`` changes or (None) drops headers."""
    headers = {"Content-Type": "application/json",
               "Origin": f"http://127.0.0.1:{srv.server_address[1]}"}
    if token is not None:
        headers["X-CSRF-Token"] = token
    for name, value in (override or {}).items():
        headers.pop(name, None)
        if value is not None:
            headers[name] = value
    return request(srv, "POST", "/api/decisions", json.dumps(payload).encode(), headers)


def decision(conflict_id: str = "c_dose", kind: str = "accept_a", **extra: str) -> dict:
    return {"conflict_id": conflict_id, "decision": kind, "curator": "ana", **extra}


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- pages and routes -------------------------------------------------------------------------

def test_page_embeds_a_per_server_token_and_strict_headers(server):
    status, headers, body = request(server, "GET", "/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert len(token_of(server)) >= 40 and b"__CSRF_TOKEN__" not in body
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    for asset, media in (("/app.js", "text/javascript"), ("/app.css", "text/css")):
        status, headers, _ = request(server, "GET", asset)
        assert status == 200 and headers["content-type"].startswith(media)


def test_server_listens_on_loopback_only(server):
    assert server.server_address[0] == "127.0.0.1"


def test_conflict_list_and_detail(server):
    listed = get_json(server, "/api/conflicts")["conflicts"]
    assert {c["conflict_id"] for c in listed} == {"c_dose", "c_year", "c_gone"}
    assert all(c["status"] == "open" for c in listed)
    detail = get_json(server, "/api/conflicts/c_dose")
    a, b = detail["sides"]
    assert (a["sentence"]["span"], a["source"], a["page"]) == ("0.4 mg/kg", "a.txt", None)
    assert b["sentence"]["before"] + b["sentence"]["span"] + b["sentence"]["after"] == HOSTILE
    assert b["sentence"]["span"] == "0.41 mg/kg" and b["text"] == "0.41 mg/kg"


def test_missing_mention_falls_back_to_the_recorded_sentence(server):
    a = get_json(server, "/api/conflicts/c_gone")["sides"][0]
    assert a["found"] is False and a["sentence"]["before"] == "A third (33.3%) relapsed."


def test_paragraph_on_demand(server):
    para = get_json(server, "/api/mentions/m_a1/paragraph")
    assert para["span"] == "0.4 mg/kg"
    assert para["before"].startswith("In the first trial")
    assert para["after"].endswith("Follow-up lasted two years.")


def test_pdf_page_region_has_the_box_drawn(server):
    side = get_json(server, "/api/conflicts/c_year")["sides"][1]
    assert side["has_image"] and side["page"] == 1
    status, headers, body = request(server, "GET", "/api/mentions/m_p1/page.png")
    assert status == 200 and headers["content-type"] == "image/png"
    pixels = np.asarray(Image.open(io.BytesIO(body)).convert("RGB")).astype(int)
    red = ((pixels[..., 0] > 200) & (pixels[..., 1] < 80) & (pixels[..., 2] < 80)).sum()
    assert red > 100  # the outline around the span


@pytest.mark.parametrize("target", [
    "/pyproject.toml", "/page.html", "/app.py", "/api", "/api/conflicts/nope",
    "/../pyproject.toml", "/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
    "/app.js/../../pyproject.toml", "//etc/passwd", "/api/conflicts/../../rules",
    "/api/mentions/..%2f..%2fetc%2fpasswd/paragraph", "/api/mentions/../../x/page.png",
    "/api/mentions/m_a1/../../../../etc/passwd", "/api/mentions/m_a1/page.png",
    "/extracted/conflicts.csv", "/raw/paper.pdf", "/rules/decisions.jsonl",
])
def test_nothing_outside_the_routes_is_served(server, target):
    status, _, body = request(server, "GET", target)
    assert status == 404, body
    assert b"root:" not in body


def test_a_mention_pointing_outside_the_corpus_gets_no_image(project, server, tmp_path):
    (tmp_path / "secret.pdf").write_bytes((project["raw"] / "paper.pdf").read_bytes())
    rows = [{"mention_id": "m_evil", "doc_id": "0123456789abcdef", "source": "../secret.pdf",
             "label": "DOSE", "start": 0, "end": 1, "text": "x", "sentence": "x", "page": 1,
             "bbox": "1,1,2,2"},
            {"mention_id": "m_badid", "doc_id": "../../etc/passwd", "source": "a.txt",
             "label": "DOSE", "start": 0, "end": 1, "text": "x", "sentence": "x"}]
    _write_csv(project["out"] / "mentions.csv", MENTION_COLUMNS, rows)
    assert request(server, "GET", "/api/mentions/m_evil/page.png")[0] == 404
    assert request(server, "GET", "/api/mentions/m_badid/paragraph")[0] == 404


def test_broken_pdfs_and_odd_boxes_do_not_break_the_page(project, server):
    rows = [{"mention_id": "m_off", "doc_id": "0123456789abcdef", "source": "paper.pdf",
             "label": "DOSE", "start": 0, "end": 1, "text": "x", "sentence": "x", "page": 1,
             "bbox": "5000,5000,5010,5010"},
            {"mention_id": "m_page9", "doc_id": "0123456789abcdef", "source": "paper.pdf",
             "label": "DOSE", "start": 0, "end": 1, "text": "x", "sentence": "x", "page": 9,
             "bbox": "1,1,2,2"}]
    _write_csv(project["out"] / "mentions.csv", MENTION_COLUMNS, rows)
    assert request(server, "GET", "/api/mentions/m_off/page.png")[0] == 200
    assert request(server, "GET", "/api/mentions/m_page9/page.png")[0] == 404
    (project["raw"] / "paper.pdf").write_bytes(b"%PDF-1.4 not really")
    assert request(server, "GET", "/api/mentions/m_off/page.png")[0] == 404


def test_offsets_that_no_longer_select_the_mention_are_flagged(project, server):
    good = get_json(server, "/api/conflicts/c_dose")["sides"][0]
    assert good["offsets_ok"] is True
    path = project["out"] / "mentions.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",0.4 mg/kg,", ",0.5 mg/kg,"),
                    encoding="utf-8")
    assert get_json(server, "/api/conflicts/c_dose")["sides"][0]["offsets_ok"] is False


def test_unexpected_host_is_refused(server):
    status, _, _ = request(server, "GET", "/api/conflicts", headers={"Host": "evil.example"})
    assert status == 403


# --- decisions: CSRF, validation, append-only -------------------------------------------------

@pytest.mark.parametrize("token, override", [
    (None, {}),                                             # no token
    ("wrong-token", {}),                                    # wrong token
    ("", {}),                                               # empty token
    ("VALID", {"Origin": "http://evil.example"}),            # right token, foreign page
    ("VALID", {"Origin": None}),                            # right token, no Origin
    ("VALID", {"Host": "evil.example:8765"}),               # DNS rebinding
])
def test_post_without_the_right_token_and_origin_is_refused(server, project, token, override):
    token = token_of(server) if token == "VALID" else token
    status, _, _ = post_decision(server, decision(), token, override)
    assert status == 403
    assert not project["decisions"].exists()


def test_only_json_posts_to_the_decisions_route(server):
    token = token_of(server)
    status, _, _ = post_decision(server, decision(), token, {"Content-Type": "text/plain"})
    assert status == 415
    headers = {"Origin": f"http://127.0.0.1:{server.server_address[1]}", "X-CSRF-Token": token}
    assert request(server, "POST", "/api/conflicts", b"{}", headers)[0] == 404
    assert request(server, "PUT", "/api/decisions", b"{}", headers)[0] == 405


def test_oversized_or_unsized_bodies_are_refused(server):
    headers = {"Origin": f"http://127.0.0.1:{server.server_address[1]}",
               "X-CSRF-Token": token_of(server), "Content-Type": "application/json"}
    big = json.dumps(decision(comment="x" * 20_000)).encode()
    assert request(server, "POST", "/api/decisions", big, headers)[0] == 413
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
    conn.putrequest("POST", "/api/decisions")
    for name, value in headers.items():
        conn.putheader(name, value)
    conn.endheaders()
    assert conn.getresponse().status == 411
    conn.close()


@pytest.mark.parametrize("payload, status", [
    (decision(kind="delete_everything"), 400),
    (decision(kind="neither"), 400),                        # no corrected value
    (decision(kind="neither", value="   "), 400),
    (decision(comment=["not", "a", "string"]), 400),
    (decision(comment="x" * 5000), 400),
    (decision(conflict_id="c_unknown"), 404),
])
def test_bad_decisions_are_refused(server, project, payload, status):
    assert post_decision(server, payload, token_of(server))[0] == status
    assert not project["decisions"].exists()


def test_a_decision_is_appended_and_shows_at_once(server, project):
    token = token_of(server)
    status, _, body = post_decision(server, decision(kind="neither", value="0.4 mg/kg",
                                                     comment="typo in B"), token)
    assert status == 200, body
    assert json.loads(body)["conflict"]["status"] == "resolved"
    [line] = lines(project["decisions"])
    assert line["conflict_id"] == "c_dose" and line["decision"] == "neither"
    assert line["value"] == "0.4 mg/kg" and line["curator"] == "ana"
    assert line["evidence_hash"] == "h-c_dose"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["decided_at"])
    listed = {c["conflict_id"]: c for c in get_json(server, "/api/conflicts")["conflicts"]}
    assert listed["c_dose"]["status"] == "resolved" and listed["c_dose"]["decision"] == "neither"


def test_a_second_tab_is_told_instead_of_silently_overwriting(server, project):
    token = token_of(server)
    assert post_decision(server, decision(kind="accept_a"), token)[0] == 200
    # The other tab still believes the conflict is open (expected decided_at "").
    status, _, body = post_decision(server, decision(kind="accept_b"), token)
    assert status == 409
    seen = json.loads(body)["conflict"]
    assert seen["decision"] == "accept_a"
    # Having seen it, the curator may replace it: a new line, the old one kept.
    replaced = decision(kind="accept_b", expected=seen["decided_at"])
    assert post_decision(server, replaced, token)[0] == 200
    assert [r["decision"] for r in lines(project["decisions"])] == ["accept_a", "accept_b"]
    assert get_json(server, "/api/conflicts/c_dose")["conflict"]["decision"] == "accept_b"


def test_racing_tabs_on_one_conflict_leave_one_decision(server, project):
    token = token_of(server)
    statuses: list[int] = []
    kinds = ["accept_a", "accept_b", "both_valid"] * 4
    threads = [threading.Thread(target=lambda k=k: statuses.append(
        post_decision(server, decision("c_year", k), token)[0])) for k in kinds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [409] * (len(kinds) - 1)
    assert len(lines(project["decisions"])) == 1


STAMP = {"decided_at": "2026-11-21T07:00:00Z", "evidence_hash": "e1"}


def _append_many(path: Path, writer: int, n: int) -> None:
    for i in range(n):
        # Long lines (beyond a pipe buffer) make interleaving visible if locking were broken.
        store.append_decision(path, {**STAMP, "conflict_id": f"c{writer}-{i}",
                                     "decision": "accept_a", "comment": f"{writer}:{i}:" + "é" * 3000})


def test_concurrent_appends_keep_every_line_intact(tmp_path):
    path = tmp_path / "rules" / "decisions.jsonl"
    threads = [threading.Thread(target=_append_many, args=(path, w, 40)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records = lines(path)  # every line parses: none torn or interleaved
    assert len(records) == 8 * 40
    assert {r["conflict_id"] for r in records} == {f"c{w}-{i}" for w in range(8) for i in range(40)}
    assert all(r["comment"].endswith("é" * 3000) for r in records)


def test_concurrent_appends_from_processes(tmp_path):
    import multiprocessing

    path = tmp_path / "decisions.jsonl"
    jobs = [(path, {**STAMP, "conflict_id": f"p{i}", "decision": "neither", "value": "x" * 5000})
            for i in range(60)]
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        pool.starmap(store.append_decision, jobs, chunksize=1)
    assert sorted(r["conflict_id"] for r in lines(path)) == sorted(f"p{i}" for i in range(60))


def test_a_torn_last_line_from_a_crash_loses_nothing_else(tmp_path):
    path = tmp_path / "decisions.jsonl"
    store.append_decision(path, {**STAMP, "conflict_id": "c1", "decision": "accept_a"})
    with open(path, "ab") as f:
        f.write(b'{"conflict_id": "c2", "decis')  # the writer died mid-line
    store.append_decision(path, {**STAMP, "conflict_id": "c3", "decision": "both_valid"})
    raw = path.read_text(encoding="utf-8").splitlines()
    assert len(raw) == 3 and json.loads(raw[2])["conflict_id"] == "c3"
    assert set(store.read_decisions(path)) == {"c1", "c3"}


def test_last_line_per_conflict_wins(tmp_path):
    path = tmp_path / "decisions.jsonl"
    for kind in ("accept_a", "neither", "accept_b"):
        value = "0.4" if kind == "neither" else ""
        store.append_decision(path, {**STAMP, "conflict_id": "c1", "decision": kind,
                                     "value": value})
    assert store.read_decisions(path)["c1"]["decision"] == "accept_b"
    assert len(path.read_text().splitlines()) == 3


def test_a_run_in_between_keeps_decisions_and_reopens_changed_evidence(server, project):
    token = token_of(server)
    for cid in ("c_dose", "c_year"):
        assert post_decision(server, decision(cid), token)[0] == 200
    before = project["decisions"].read_bytes()
    # A re-run rewrites conflicts.csv: same evidence for c_dose, new evidence for c_year.
    conflicts = project["out"] / "conflicts.csv"
    conflicts.write_text(conflicts.read_text().replace("h-c_year", "h-c_year-v2"))
    listed = {c["conflict_id"]: c["status"]
              for c in get_json(server, "/api/conflicts")["conflicts"]}
    assert listed == {"c_dose": "resolved", "c_year": "reopened", "c_gone": "open"}
    assert project["decisions"].read_bytes() == before
    # Deciding the reopened conflict again records the new evidence hash.
    again = decision("c_year", "both_valid",
                     expected=get_json(server, "/api/conflicts/c_year")["conflict"]["decided_at"])
    assert post_decision(server, again, token)[0] == 200
    assert lines(project["decisions"])[-1]["evidence_hash"] == "h-c_year-v2"


# --- text helpers -----------------------------------------------------------------------------

def test_sentence_is_placed_by_offsets_not_by_searching_the_span():
    text = "Intro. We gave 5 mg then 5 mg again. End."
    second = text.index("5 mg", text.index("5 mg") + 1)
    s = sentence_snippet(text, second, second + 4, "We gave 5 mg then 5 mg again.")
    assert (s.before, s.span, s.after) == ("We gave 5 mg then ", "5 mg", " again.")


def test_sentence_not_in_text_falls_back_to_a_window():
    text = "x" * 500 + "SPAN" + "y" * 500
    s = sentence_snippet(text, 500, 504, "a normalised sentence")
    assert s.span == "SPAN" and len(s.before) == 200 and len(s.after) == 200


def test_paragraph_is_capped_on_long_texts():
    text = "a" * 5000 + "SPAN" + "b" * 5000
    p = paragraph_snippet(text, 5000, 5004)
    assert p.span == "SPAN" and len(p.before) == 1500 and len(p.after) == 1500
    assert paragraph_snippet(text, 10, 99999) is None


@pytest.mark.parametrize("cell, expected", [
    ("1,2,3,4", (1.0, 2.0, 3.0, 4.0)), ("", None), ("1,2,3", None), ("a,b,c,d", None),
    ("5,2,3,4", None),
])
def test_parse_bbox(cell, expected):
    assert parse_bbox(cell) == expected


# --- the command ------------------------------------------------------------------------------

def test_litx_review_command_serves_on_loopback(project):
    import subprocess
    import sys
    import urllib.request

    cmd = [sys.executable, "-m", "pipeline.cli", "review", "--out", str(project["out"]),
           "--raw", str(project["raw"]), "--decisions", str(project["decisions"]),
           "--port", "0"]
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(cmd, cwd=root, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(root)})
    try:
        banner = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", banner).group(0)
        with urllib.request.urlopen(url + "api/conflicts", timeout=10) as resp:
            assert len(json.load(resp)["conflicts"]) == 3
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_litx_review_reports_a_busy_port(server, project):
    from typer.testing import CliRunner

    from pipeline.cli import app

    result = CliRunner().invoke(app, ["review", "--out", str(project["out"]),
                                      "--port", str(server.server_address[1])])
    assert result.exit_code == 2 and "cannot listen" in result.output


def test_page_script_never_parses_data_as_html():
    from importlib import resources

    script = resources.files("pipeline.review").joinpath("app.js").read_text(encoding="utf-8")
    code = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("//"))
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                 "new Function"):
        assert sink not in code, sink
