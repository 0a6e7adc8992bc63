"""``litx review``: a threaded stdlib HTTP server bound to 127.0.0.1 around ``ReviewApp``."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.review.app import MAX_BODY, Response, ReviewApp
from pipeline.review.data import ReviewData

HOST = "127.0.0.1"  # never another interface: the page has no login
SECURITY_HEADERS = {
    # Second line of defence behind textContent: no inline script, nothing from elsewhere.
    "Content-Security-Policy": ("default-src 'none'; script-src 'self'; style-src 'self'; "
                                "img-src 'self'; connect-src 'self'; base-uri 'none'; "
                                "form-action 'none'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class _Handler(BaseHTTPRequestHandler):
    server: ReviewServer
    server_version = "litx-review"
    sys_version = ""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._send(self.server.app.get(urlsplit(self.path).path, self.headers.get("Host", "")))

    def do_POST(self) -> None:  # noqa: N802
        length = self.headers.get("Content-Length", "")
        if not length.isdigit():
            self._send(Response.error(411, "Content-Length required"))
            return
        if int(length) > MAX_BODY:
            self._send(Response.error(413, f"body must be at most {MAX_BODY} bytes"))
            return
        body = self.rfile.read(int(length))
        headers = {k.lower(): v for k, v in self.headers.items()}
        self._send(self.server.app.post(urlsplit(self.path).path, headers, body))

    def _refuse(self) -> None:
        self._send(Response.error(405, "method not allowed"))

    do_PUT = do_DELETE = do_PATCH = _refuse  # noqa: N815

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        if self.server.verbose:
            super().log_message(format, *args)


class ReviewServer(ThreadingHTTPServer):
    """The HTTP server; ``app`` answers every request."""

    daemon_threads = True

    def __init__(self, app: ReviewApp, port: int, verbose: bool = False) -> None:
        super().__init__((HOST, port), _Handler)
        self.app, self.verbose = app, verbose
        app.port = self.server_address[1]  # the real port when 0 asked for a free one

    @property
    def url(self) -> str:
        """The page's address, with the port actually bound."""
        return f"http://{HOST}:{self.server_address[1]}/"


def make_server(out_dir: Path, raw_dir: Path, decisions: Path, port: int = 8765,
                verbose: bool = False) -> ReviewServer:
    """Build (bind, not yet serve) a review server.

    Args:
        out_dir: The output folder with conflicts.csv, mentions.csv and text/.
        raw_dir: The corpus folder, where PDFs are found for page images.
        decisions: The decisions file decisions are appended to.
        port: TCP port on 127.0.0.1; 0 picks a free one.
        verbose: Log every request to stderr.
    """
    return ReviewServer(ReviewApp(ReviewData(out_dir, raw_dir, decisions)), port, verbose)


def serve_in_thread(server: ReviewServer) -> threading.Thread:
    """Serve in a daemon thread (tests, screenshots); stop with ``server.shutdown()``."""
    # A short poll interval makes shutdown() return quickly (tests start many servers).
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="litx-review", daemon=True)
    thread.start()
    return thread
