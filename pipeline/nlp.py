"""The spaCy pipeline: ``spacy.blank("en")`` + tokenizer rules + a SpanRuler over rules/.

No trained model is needed or fetched. ``get()`` builds one pipeline per process, because a
``Language`` must not be shared across threads or shipped between processes.
"""

from __future__ import annotations

import threading
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

from pipeline import config, rules

SPANS_KEY = "facts"
_local = threading.local()


def build(rules_dir: Path | None = None) -> Language:
    """A blank English pipeline with litx's tokenizer settings and span rules."""
    r = rules.load(rules_dir)
    nlp = spacy.blank("en")
    _tune_tokenizer(nlp, r)
    ruler = nlp.add_pipe(
        "span_ruler",
        config={
            "spans_key": SPANS_KEY,
            "validate": True,
            "overwrite": True,
        },
    )
    # Every match is kept (no spans_filter): overlaps are resolved by pipeline.spans, where
    # the choice can look at the characters around a match.
    ruler.add_patterns([dict(p) for p in r.patterns])
    return nlp


def get(rules_dir: Path | None = None) -> Language:
    """This thread's pipeline for ``rules_dir``, built on first use."""
    cache = getattr(_local, "pipelines", None)
    if cache is None:
        cache = _local.pipelines = {}
    rules_dir = rules_dir or config.RULES_DIR
    key = (str(rules_dir), rules.load(rules_dir).version)
    if key not in cache:
        cache[key] = build(rules_dir)
    return cache[key]


def _tune_tokenizer(nlp: Language, r: rules.Rules) -> None:
    """Split what the default English tokenizer glues ("n=35", "20mg", "<sup>1</sup>")."""
    tok = nlp.tokenizer
    tok.infix_finditer = compile_infix_regex(
        list(nlp.Defaults.infixes) + list(r.tokenizer["infixes"])).finditer
    tok.prefix_search = compile_prefix_regex(
        list(nlp.Defaults.prefixes) + list(r.tokenizer["prefixes"])).search
    # A sentence-final period after a unit such as "mL" is punctuation, not an abbreviation.
    tok.suffix_search = compile_suffix_regex(
        list(nlp.Defaults.suffixes) + list(r.tokenizer.get("suffixes", []))).search
    for case in r.tokenizer["special_cases"]:
        # Abbreviations stay one token so "i.p." is matched as a route and not split.
        tok.add_special_case(case, [{"ORTH": case}])
