"""Load and check rules/ (patterns, lexicons, tokenizer settings) into frozen objects.

A bad rule file raises ``RuleError`` naming the file and line before any output is touched
(DESIGN.md §10). ``@name`` inside a token pattern stands for the lexicon ``lexicons/name.txt``
so word lists live in one place.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pipeline import __version__, config
from pipeline.errors import RuleError

_ALLOWED_KEYS = frozenset({"label", "id", "pattern"})
_PATTERN_LABELS = frozenset({"DOSE", "SAMPLE_SIZE", "PERCENTAGE"})
# Curator decisions live under rules/ but are not extraction rules: editing them must not
# re-extract the corpus.
_NOT_RULES = ("decisions.jsonl", "README.md")


@dataclass(frozen=True)
class Rules:
    """Everything extraction reads from rules/, validated."""

    patterns: tuple[dict[str, Any], ...]
    lexicons: MappingProxyType  # name -> frozenset[str] (from .txt)
    tables: MappingProxyType  # name -> mapping surface -> value (from .tsv)
    tokenizer: MappingProxyType
    version: str

    def lexicon(self, name: str) -> frozenset[str]:
        return self.lexicons[name]

    def table(self, name: str) -> MappingProxyType:
        return self.tables[name]


def rule_files(rules_dir: Path) -> list[Path]:
    """The files that define extraction, in a stable order."""
    return sorted(p for p in rules_dir.rglob("*")
                  if p.is_file() and p.name not in _NOT_RULES and not p.name.startswith("."))


def rules_version(rules_dir: Path | None = None) -> str:
    """Hash of every rule file's path and bytes plus the code version (DESIGN.md §5)."""
    rules_dir = rules_dir or config.RULES_DIR
    h = hashlib.sha256(__version__.encode())
    for path in rule_files(rules_dir):
        h.update(path.relative_to(rules_dir).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def load(rules_dir: Path | None = None) -> Rules:
    """Read and validate rules/ (``config.RULES_DIR`` by default); cached per process."""
    return _load(rules_dir or config.RULES_DIR)


@lru_cache(maxsize=4)
def _load(rules_dir: Path) -> Rules:
    lexicons = {p.stem: _read_lexicon(p) for p in sorted((rules_dir / "lexicons").glob("*.txt"))}
    tables = {p.stem: _read_table(p) for p in sorted((rules_dir / "lexicons").glob("*.tsv"))}
    tokenizer = _check_tokenizer(rules_dir / "tokenizer.json")
    patterns: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    for path in sorted((rules_dir / "patterns").glob("*.jsonl")):
        for lineno, entry in _read_jsonl(path):
            where = f"{path}:{lineno}"
            _check_entry(entry, where, seen)
            entry = dict(entry, pattern=_expand(entry["pattern"], lexicons, where))
            patterns.append(entry)
    _compile_check(patterns)
    from pipeline import citation_rules  # citation grammar lives in rules/citations.yaml

    citation_rules.load_rules(rules_dir / "citations.yaml")
    return Rules(tuple(patterns), MappingProxyType(lexicons), MappingProxyType(tables),
                 MappingProxyType(tokenizer), rules_version(rules_dir))


_TOKENIZER_KEYS = ("special_cases", "infixes", "prefixes", "suffixes")


def _check_tokenizer(path: Path) -> dict[str, Any]:
    """tokenizer.json: known keys, lists of strings, every regex compiling."""
    import re

    data = _read_json(path)
    if set(data) - set(_TOKENIZER_KEYS):
        raise RuleError(f"{path}:1: unknown key(s) {sorted(set(data) - set(_TOKENIZER_KEYS))}; "
                        f"allowed: {list(_TOKENIZER_KEYS)}")
    for key in _TOKENIZER_KEYS:
        values = data.setdefault(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise RuleError(f"{path}:1: {key!r} must be a list of strings")
        for value in values if key != "special_cases" else ():
            try:
                re.compile(value)
            except re.error as err:
                raise RuleError(f"{path}:1: {key} regex {value!r} does not compile: {err}") from err
    return data


def _check_entry(entry: Any, where: str, seen: dict[str, str]) -> None:
    if not isinstance(entry, dict):
        raise RuleError(f"{where}: a pattern line must be a JSON object")
    extra = set(entry) - _ALLOWED_KEYS
    if extra or not {"label", "id", "pattern"} <= set(entry):
        raise RuleError(f"{where}: keys must be exactly label, id, pattern (got {sorted(entry)})")
    if entry["label"] not in _PATTERN_LABELS:
        raise RuleError(f"{where}: unknown label {entry['label']!r}")
    if entry["id"] in seen:
        raise RuleError(f"{where}: duplicate rule id {entry['id']!r} (first at {seen[entry['id']]})")
    if not isinstance(entry["pattern"], list) or not entry["pattern"]:
        raise RuleError(f"{where}: pattern must be a non-empty list of token specs")
    seen[entry["id"]] = where


def _expand(value: Any, lexicons: dict[str, frozenset[str]], where: str) -> Any:
    """Replace "@name" strings with the sorted words of lexicons/name.txt."""
    if isinstance(value, str) and value.startswith("@"):
        if value[1:] not in lexicons:
            raise RuleError(f"{where}: unknown lexicon {value!r}")
        return sorted(lexicons[value[1:]])
    if isinstance(value, list):
        return [_expand(v, lexicons, where) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v, lexicons, where) for k, v in value.items()}
    return value


def _compile_check(patterns: list[dict[str, Any]]) -> None:
    import spacy
    from spacy.matcher import Matcher

    matcher = Matcher(spacy.blank("en").vocab, validate=True)
    for entry in patterns:
        try:
            matcher.add(entry["id"], [entry["pattern"]])
        except Exception as err:  # spaCy raises several types for bad patterns
            first = str(err).strip().splitlines()[0]
            raise RuleError(f"rules/patterns: rule {entry['id']!r} is invalid: {first}") from err


def _read_jsonl(path: Path) -> list[tuple[int, Any]]:
    out = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            try:
                out.append((lineno, json.loads(line, object_pairs_hook=_no_duplicate_keys)))
            except (json.JSONDecodeError, ValueError) as err:
                raise RuleError(f"{path}:{lineno}: {err}") from err
    return out


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        raise ValueError(f"duplicate key(s) {sorted(dup)}")
    return dict(pairs)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicate_keys)
    except (json.JSONDecodeError, ValueError) as err:
        raise RuleError(f"{path}:{getattr(err, 'lineno', 1)}: {err}") from err


def _lines(path: Path) -> list[tuple[int, str]]:
    return [(n, line.rstrip("\n")) for n, line in
            enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if line.strip() and not line.startswith("#")]


def _read_lexicon(path: Path) -> frozenset[str]:
    return frozenset(line.strip() for _, line in _lines(path))


def _read_table(path: Path) -> MappingProxyType:
    table: dict[str, str] = {}
    for lineno, line in _lines(path):
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0].strip():
            raise RuleError(f"{path}:{lineno}: expected 'surface<TAB>value'")
        if parts[0] in table:
            raise RuleError(f"{path}:{lineno}: duplicate entry {parts[0]!r}")
        table[parts[0]] = parts[1].strip()
    return MappingProxyType(table)
