"""``litx review``: the local page where curators decide conflicts (DESIGN.md §8)."""

from pipeline.review.server import make_server, serve_in_thread

__all__ = ["make_server", "serve_in_thread"]
