"""Load and validate ``rules/citations.yaml`` into a frozen, compiled rule set.

The YAML is read once per process (``load()`` is cached). A malformed file raises
``RuleError`` naming the file and the line, before any extraction starts (DESIGN.md §10).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from pipeline import config
from pipeline.errors import RuleError

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "rules" / "citations.yaml"

_FRAGMENTS = ("surname", "initials", "year", "etal", "and", "number_list", "unicode_sup")
_LEXICONS = (
    "particles",
    "not_surnames",
    "name_suffixes",
    "reference_headings",
    "doi_prefixes",
    "trailing_markers",
    "narrative_blockers",
    "book_markers",
)
_LIMITS = (
    "max_paren",
    "max_range",
    "max_ref_number",
    "max_reference",
    "surname_similarity",
    "surname_min_fuzzy_len",
)
_TOP = MappingProxyType({"version": int, "fragments": dict, "lexicons": dict, "limits": dict})


@dataclass(frozen=True, slots=True, eq=False)  # identity hash: usable as a cache key
class CitationRules:
    """Validated citation rules: regex fragments (particles already substituted) and lexicons."""

    path: str
    fragments: Mapping[str, str]  # read-only view: a rule set never changes after loading
    particles: frozenset[str]
    not_surnames: frozenset[str]
    name_suffixes: frozenset[str]
    reference_headings: tuple[str, ...]
    doi_prefixes: tuple[str, ...]
    trailing_markers: tuple[str, ...]
    narrative_blockers: frozenset[str]
    book_markers: tuple[str, ...]
    max_paren: int
    max_range: int
    max_ref_number: int
    max_reference: int
    surname_similarity: int
    surname_min_fuzzy_len: int


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys (a silent overwrite hides rule edits)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set[object] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise RuleError(f"{loader.name}:{key_node.start_mark.line + 1}: duplicate key {key!r}")
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _key_lines(root: yaml.Node) -> dict[str, int]:
    """Line (1-based) of every ``section.key`` in the file, so errors can point at it."""
    lines: dict[str, int] = {}
    if not isinstance(root, yaml.MappingNode):
        return lines
    for key_node, value_node in root.value:
        lines[key_node.value] = key_node.start_mark.line + 1
        if isinstance(value_node, yaml.MappingNode):
            for sub_key, _ in value_node.value:
                lines[f"{key_node.value}.{sub_key.value}"] = sub_key.start_mark.line + 1
    return lines


def _parse(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise RuleError(f"{path}:0: cannot read rule file ({err.strerror})") from err
    try:
        loader = _UniqueKeyLoader(text)
        loader.name = str(path)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as err:
        line = err.problem_mark.line + 1 if err.problem_mark else 0
        raise RuleError(f"{path}:{line}: invalid YAML ({err.problem})") from err
    if not isinstance(data, dict):
        raise RuleError(f"{path}:1: expected a mapping at the top level")
    return data, _key_lines(root)


def _check_sections(path: Path, data: dict[str, Any], lines: dict[str, int]) -> None:
    for key in data:
        if key not in _TOP:
            raise RuleError(f"{path}:{lines.get(key, 0)}: unknown section {key!r}")
    for key, kind in _TOP.items():
        if not isinstance(data.get(key), kind):
            raise RuleError(f"{path}:{lines.get(key, 1)}: section {key!r} must be a {kind.__name__}")
    for section, names in (("fragments", _FRAGMENTS), ("lexicons", _LEXICONS), ("limits", _LIMITS)):
        given = data[section]
        for name in given:
            if name not in names:
                raise RuleError(f"{path}:{lines.get(f'{section}.{name}', 0)}: unknown {section} entry {name!r}")
        for name in names:
            if name not in given:
                raise RuleError(f"{path}:{lines.get(section, 0)}: missing {section} entry {name!r}")


def _check_values(path: Path, data: dict[str, Any], lines: dict[str, int]) -> dict[str, str]:
    for name, words in data["lexicons"].items():
        if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
            raise RuleError(f"{path}:{lines[f'lexicons.{name}']}: {name} must be a list of non-empty strings")
    for name, value in data["limits"].items():
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise RuleError(f"{path}:{lines[f'limits.{name}']}: {name} must be a positive integer")
    particles = sorted(data["lexicons"]["particles"], key=len, reverse=True)
    alternation = "|".join(re.escape(p).replace("\\ ", "\\s") for p in particles)
    fragments: dict[str, str] = {}
    for name, pattern in data["fragments"].items():
        where = f"{path}:{lines[f'fragments.{name}']}"
        if not isinstance(pattern, str) or not pattern:
            raise RuleError(f"{where}: fragment {name!r} must be a non-empty string")
        pattern = pattern.replace("{particles}", alternation)
        try:
            re.compile(pattern)
        except re.error as err:
            raise RuleError(f"{where}: fragment {name!r} is not a valid regex ({err})") from err
        fragments[name] = pattern
    return fragments


def load_rules(path: Path | str = DEFAULT_PATH) -> CitationRules:
    """Read, validate and freeze a citation rule file.

    Args:
        path: the YAML file (default ``rules/citations.yaml``).

    Returns:
        The frozen rule set.

    Raises:
        RuleError: the file is unreadable, not valid YAML, has unknown/missing/duplicate keys,
            a wrong type or a regex that does not compile; the message names file and line.
    """
    path = Path(path)
    data, lines = _parse(path)
    _check_sections(path, data, lines)
    fragments = _check_values(path, data, lines)
    lex, lim = data["lexicons"], data["limits"]
    return CitationRules(
        path=str(path),
        fragments=MappingProxyType(fragments),
        particles=frozenset(lex["particles"]),
        not_surnames=frozenset(lex["not_surnames"]),
        name_suffixes=frozenset(lex["name_suffixes"]),
        reference_headings=tuple(lex["reference_headings"]),
        doi_prefixes=tuple(sorted(lex["doi_prefixes"], key=len, reverse=True)),
        trailing_markers=tuple(lex["trailing_markers"]),
        narrative_blockers=frozenset(w.lower() for w in lex["narrative_blockers"]),
        book_markers=tuple(lex["book_markers"]),
        **{name: lim[name] for name in _LIMITS},
    )


def get_rules(path: str | None = None) -> CitationRules:
    """The rule set for ``path`` (default: citations.yaml in ``config.RULES_DIR``), cached."""
    return _cached(path or _default_path(config.RULES_DIR))


@lru_cache(maxsize=4)
def _default_path(rules_dir: Path) -> str:
    # Called for every parsed reference: resolve the default file once per rules folder.
    return str(rules_dir / "citations.yaml")


@lru_cache(maxsize=4)
def _cached(path: str) -> CitationRules:
    return load_rules(path)
