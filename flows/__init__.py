"""Prefect flows: thin orchestration over pipeline/ (no extraction logic here)."""
