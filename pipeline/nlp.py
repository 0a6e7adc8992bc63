"""The spaCy pipeline: ``spacy.blank("en")`` + tokenizer rules + a SpanRuler over rules/.

No trained model is needed or fetched. ``get()`` builds one pipeline per thread, because a
``Language`` must not be shared across threads or shipped between processes. Extraction uses
``matcher()``: the same rules and tokenizer, with a Matcher per sentence that holds only the
rules that could match it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Span
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

from pipeline import anchors, config, rules

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


def matcher(rules_dir: Path | None = None) -> RuleMatcher:
    """This thread's RuleMatcher for ``rules_dir`` (sharing the pipeline's tokenizer)."""
    cache = getattr(_local, "matchers", None)
    if cache is None:
        cache = _local.matchers = {}
    rules_dir = rules_dir or config.RULES_DIR
    r = rules.load(rules_dir)
    key = (str(rules_dir), r.version)
    if key not in cache:
        cache[key] = RuleMatcher(get(rules_dir), r.patterns)
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


class RuleMatcher:
    """The span rules as per-sentence Matchers holding only the rules that could match.

    Gives the same spans as the pipeline's SpanRuler (``pipeline.anchors`` explains why),
    for a fraction of the Matcher's time.
    """

    def __init__(self, pipeline: Language, patterns: tuple[dict, ...]) -> None:
        self.nlp = pipeline
        self.patterns = patterns
        self.groups = anchors.groups(patterns)
        self._matchers: dict[tuple[int, ...], Matcher] = {}
        self._rule_of = {pipeline.vocab.strings.add(str(i)): i for i in range(len(patterns))}

    def spans(self, texts: list[str], batch_size: int = 256
              ) -> Iterator[list[tuple[str, str, int, int]]]:
        """(label, rule id, start char, end char) of every match, per text, sorted as the
        SpanRuler sorts its spans."""
        docs = self.nlp.tokenizer.pipe(texts, batch_size=batch_size)
        for text, doc in zip(texts, docs):
            lowered = text.lower()
            words = anchors.words_of(lowered)
            chosen = tuple(k for k, g in enumerate(self.groups) if g.could_match(words, lowered))
            if not chosen:
                yield []
                continue
            rule = self._rule_of
            found = {Span(doc, s, e, label=self.patterns[rule[m]]["label"],
                          span_id=self.patterns[rule[m]]["id"])
                     for m, s, e in self._matcher(chosen)(doc) if s != e}
            yield [(sp.label_, sp.id_, sp.start_char, sp.end_char) for sp in sorted(found)]

    def _matcher(self, chosen: tuple[int, ...]) -> Matcher:
        matcher = self._matchers.get(chosen)
        if matcher is None:
            matcher = self._matchers[chosen] = Matcher(self.nlp.vocab)
            for k in chosen:
                for i in self.groups[k].rules:
                    # The key is the rule's index: matches map straight back to label and id.
                    matcher.add(str(i), [self.patterns[i]["pattern"]])
        return matcher
