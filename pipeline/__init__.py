"""litx: biomedical literature to a reconciled, provenance-backed dataset."""

__version__ = "0.1.0"
