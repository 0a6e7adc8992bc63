"""The review API: routes, checks and JSON bodies, independent of the HTTP server class."""

from __future__ import annotations

import hmac
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline.review import store
from pipeline.review.data import (
    ReviewData,
    as_int,
    paragraph_snippet,
    parse_bbox,
    sentence_snippet,
)
from pipeline.review.pdfpage import render_region

# The only files ever served: a fixed map from URL path to a file inside this package.
ASSETS = {
    "/": ("page.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/app.css": ("app.css", "text/css; charset=utf-8"),
}
TOKEN_PLACEHOLDER = "__CSRF_TOKEN__"
ID = r"[A-Za-z0-9_.:-]{1,200}"  # conflict and mention ids; looked up in tables, never in paths
CONFLICT_URL = re.compile(rf"^/api/conflicts/({ID})$")
PARAGRAPH_URL = re.compile(rf"^/api/mentions/({ID})/paragraph$")
PAGE_URL = re.compile(rf"^/api/mentions/({ID})/page\.png$")
MAX_BODY = 16_384
MAX_FIELD = 2_000
SUMMARY_FIELDS = ("conflict_id", "kind", "study_key", "label", "value_a", "value_b", "status",
                  "decision", "decided_by", "decided_at", "value")


@dataclass(frozen=True, slots=True)
class Response:
    """What a route answers: status, media type and body bytes."""

    status: int
    content_type: str
    body: bytes

    @staticmethod
    def json(status: int, payload: Any) -> Response:
        """A JSON response (UTF-8, non-ASCII kept as is)."""
        return Response(status, "application/json",
                        json.dumps(payload, ensure_ascii=False).encode("utf-8"))

    @staticmethod
    def error(status: int, message: str) -> Response:
        """A JSON ``{"error": message}`` response."""
        return Response.json(status, {"error": message})


NOT_FOUND = Response.error(404, "not found")


@dataclass
class ReviewApp:
    """One review session over an output folder; holds the per-server CSRF token."""

    data: ReviewData
    port: int = 0
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    _decide_lock: threading.Lock = field(default_factory=threading.Lock)

    def allowed_hosts(self) -> set[str]:
        """Host header values this server answers to (guards against DNS rebinding)."""
        return {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}

    def get(self, path: str, host: str) -> Response:
        """Answer a GET for ``path`` (query string already removed)."""
        if host not in self.allowed_hosts():
            return Response.error(403, "unexpected Host header")
        if path in ASSETS:
            return self._asset(path)
        if path == "/api/conflicts":
            return Response.json(200, {"conflicts": [
                {k: c.get(k, "") for k in SUMMARY_FIELDS} for c in self.data.conflicts()]})
        if m := CONFLICT_URL.match(path):
            return self._conflict(m.group(1))
        if m := PARAGRAPH_URL.match(path):
            return self._paragraph(m.group(1))
        if m := PAGE_URL.match(path):
            return self._page_image(m.group(1))
        return NOT_FOUND

    def _asset(self, path: str) -> Response:
        name, media_type = ASSETS[path]
        body = resources.files("pipeline.review").joinpath(name).read_text(encoding="utf-8")
        if name == "page.html":
            body = body.replace(TOKEN_PLACEHOLDER, self.token)  # url-safe base64: no escaping
        return Response(200, media_type, body.encode("utf-8"))

    def _conflict(self, conflict_id: str) -> Response:
        conflict = self.data.conflict(conflict_id)
        if conflict is None:
            return NOT_FOUND
        sides = [self._side(conflict, s) for s in ("a", "b")]
        return Response.json(200, {"conflict": conflict, "sides": sides})

    def _side(self, conflict: dict[str, str], side: str) -> dict[str, Any]:
        """One side of a conflict: its value, mention position and highlighted sentence."""
        mention_id = conflict.get(f"mention_{side}", "")
        mention = self.data.mention(mention_id)
        out: dict[str, Any] = {"side": side, "value": conflict.get(f"value_{side}", ""),
                               "mention_id": mention_id, "found": mention is not None}
        if mention is None:
            out["sentence"] = sentence_snippet(None, 0, 0,
                                               conflict.get(f"sentence_{side}", "")).as_dict()
            return out
        start, end = as_int(mention["start"]), as_int(mention["end"])
        text = self.data.text(mention["doc_id"])
        has_offsets = start is not None and end is not None
        snippet = sentence_snippet(text if has_offsets else None, start or 0, end or 0,
                                   mention["sentence"] or conflict.get(f"sentence_{side}", ""))
        # Provenance check shown to the curator: the offsets must still select the mention.
        offsets_ok = text is not None and has_offsets and text[start:end] == mention["text"]
        out.update(doc_id=mention["doc_id"], source=mention["source"], start=start, end=end,
                   text=mention["text"], page=as_int(mention["page"]), offsets_ok=offsets_ok,
                   sentence=snippet.as_dict(), has_paragraph=text is not None and has_offsets,
                   has_image=self._image_args(mention) is not None)
        return out

    def _paragraph(self, mention_id: str) -> Response:
        mention = self.data.mention(mention_id)
        if mention is None:
            return NOT_FOUND
        start, end = as_int(mention["start"]), as_int(mention["end"])
        if start is None or end is None:
            return NOT_FOUND
        snippet = paragraph_snippet(self.data.text(mention["doc_id"]), start, end)
        return NOT_FOUND if snippet is None else Response.json(200, snippet.as_dict())

    def _image_args(self, mention: dict[str, str]) -> tuple[Path, int, tuple] | None:
        page, bbox = as_int(mention["page"]), parse_bbox(mention["bbox"])
        if page is None or bbox is None:
            return None
        pdf = self.data.pdf_path(mention)
        return None if pdf is None else (pdf, page, bbox)

    def _page_image(self, mention_id: str) -> Response:
        mention = self.data.mention(mention_id)
        args = self._image_args(mention) if mention else None
        png = render_region(*args) if args else None
        return NOT_FOUND if png is None else Response(200, "image/png", png)

    def post(self, path: str, headers: dict[str, str], body: bytes) -> Response:
        """Answer a POST: only ``/api/decisions``, and only from this page.

        Args:
            path: Request path without query string.
            headers: Request headers with lower-case names.
            body: The request body (already bounded by the caller).
        """
        if path != "/api/decisions":
            return NOT_FOUND
        refusal = self._check_origin(headers)
        if refusal:
            return Response.error(403, refusal)
        if not headers.get("content-type", "").startswith("application/json"):
            return Response.error(415, "expected application/json")
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return Response.error(400, "body is not JSON")
        if not isinstance(payload, dict):
            return Response.error(400, "body is not a JSON object")
        return self._decide(payload)

    def _check_origin(self, headers: dict[str, str]) -> str:
        """Why a state-changing request is refused, or '' when it comes from this page."""
        host = headers.get("host", "")
        if host not in self.allowed_hosts():
            return "unexpected Host header"
        # Browsers always send Origin on POST; a page from another origin cannot forge it.
        if headers.get("origin", "") not in {f"http://{h}" for h in self.allowed_hosts()}:
            return "cross-origin request refused"
        sent = headers.get("x-csrf-token", "")
        if not hmac.compare_digest(sent.encode(), self.token.encode()):
            return "missing or wrong CSRF token"
        return ""

    def _decide(self, payload: dict[str, Any]) -> Response:
        """Validate a decision, refuse it when someone decided meanwhile, else append it."""
        fields = {k: payload.get(k, "") for k in
                  ("conflict_id", "decision", "value", "comment", "curator", "expected")}
        if any(not isinstance(v, str) or len(v) > MAX_FIELD for v in fields.values()):
            return Response.error(400, f"fields must be strings of at most {MAX_FIELD} chars")
        if fields["decision"] not in store.DECISIONS:
            return Response.error(400, f"decision must be one of {', '.join(store.DECISIONS)}")
        if fields["decision"] == "neither" and not fields["value"].strip():
            return Response.error(400, "'neither' needs the corrected value")
        with self._decide_lock:  # check-then-append as one step for this server's tabs
            current = self.data.conflict(fields["conflict_id"])
            if current is None:
                return Response.error(404, "unknown conflict")
            if current.get("decided_at", "") != fields["expected"]:
                # Another tab decided since this one loaded: show it instead of silently
                # superseding it (both would be kept in the file anyway).
                return Response.json(409, {"error": "decided meanwhile", "conflict": current})
            record = {
                "conflict_id": fields["conflict_id"], "decision": fields["decision"],
                "value": fields["value"].strip() if fields["decision"] == "neither" else "",
                "comment": fields["comment"].strip(), "curator": fields["curator"].strip(),
                "decided_at": _now(), "evidence_hash": current.get("evidence_hash", ""),
            }
            store.append_decision(self.data.decisions_path, record)
            return Response.json(200, {"conflict": self.data.conflict(fields["conflict_id"])})


def _now() -> str:
    """ISO 8601 UTC with milliseconds: orders decisions and tells two of them apart."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
