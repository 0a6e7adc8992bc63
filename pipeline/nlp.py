"""The spaCy pipeline: ``spacy.blank("en")`` + tokenizer rules + a SpanRuler over rules/.

No trained model is needed or fetched. ``get()`` builds one pipeline per thread, because a
``Language`` must not be shared across threads or shipped between processes. Extraction uses
``matcher()``: the same rules and tokenizer; each sentence is matched only by the rules that
could match it, on the stretches around those rules' anchors, and the stretches of all sentences
needing the same rules are tokenized and matched as one Doc.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

from pipeline import anchors, config, rules

SPANS_KEY = "facts"
_JOIN = "\n\n"  # whitespace only: its own token, and no chunk around it changes
_DOC_CHARS = 20_000
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
    """The span rules as Matchers holding only the rules that could match a sentence.

    Gives the same spans as the pipeline's SpanRuler (``pipeline.anchors`` explains why),
    for a fraction of the Matcher's time.
    """

    def __init__(self, pipeline: Language, patterns: tuple[dict, ...]) -> None:
        self.nlp = pipeline
        self.patterns = patterns
        self.groups = anchors.groups(patterns)
        self._matchers: dict[tuple[int, ...], Matcher] = {}
        strings = pipeline.vocab.strings
        self._rule_of = {strings.add(str(i)): i for i in range(len(patterns))}
        # The SpanRuler's order: start, end, then the hashes of label and id.
        self._order = [(strings.add(p["label"]), strings.add(p["id"]), p["label"], p["id"])
                       for p in patterns]

    def spans(self, texts: list[str], batch_size: int = 256
              ) -> list[list[tuple[str, str, int, int]]]:
        """(label, rule id, start char, end char) of every match, per text, sorted as the
        SpanRuler sorts its spans."""
        # Stretches of all texts that need the same rules share a Doc, joined by a blank-line
        # token: a Doc and a Matcher call have a fixed cost that one-Doc-per-sentence paid
        # ~14,000 times per 400 documents. A match across a join is in no stretch, so it is
        # dropped below; _DOC_CHARS bounds a Doc's size on huge inputs.
        plan: list[tuple[tuple[int, ...], list[tuple[int, int, int]]]] = []
        runs: dict[tuple[int, ...], list[tuple[int, int, int]]] = {}  # the open run per rule set
        sizes: dict[tuple[int, ...], int] = {}
        for t, text in enumerate(texts):
            lowered = text.lower()
            words = anchors.words_of(lowered)
            chosen = tuple(k for k, g in enumerate(self.groups) if g.could_match(words, lowered))
            if not chosen:
                continue
            for a, b in anchors.windows(text, lowered, words, [self.groups[k] for k in chosen]):
                run = runs.get(chosen)
                if run is None or sizes[chosen] + b - a > _DOC_CHARS:
                    run = runs[chosen] = []
                    sizes[chosen] = 0
                    plan.append((chosen, run))
                run.append((t, a, b))
                sizes[chosen] += b - a
        joined = (_JOIN.join(texts[t][a:b] for t, a, b in run) for _, run in plan)
        found: list[set] = [set() for _ in texts]
        for (chosen, run), doc in zip(plan, self.nlp.tokenizer.pipe(joined, batch_size=batch_size)):
            starts, at = [], 0  # where each stretch begins in the joined text
            for _, a, b in run:
                starts.append(at)
                at += b - a + len(_JOIN)
            for m, s, e in self._matcher(chosen)(doc):
                if s == e:
                    continue
                first, last = doc[s], doc[e - 1]
                start, end = first.idx, last.idx + len(last)
                k = bisect_right(starts, start) - 1
                t, a, b = run[k]
                # A rule's anchors all have their own stretch, so no match should cross a
                # join; the check keeps a span that is not in the text out regardless.
                if end - starts[k] <= b - a:
                    shift = a - starts[k]
                    found[t].add((start + shift, end + shift, *self._order[self._rule_of[m]]))
        return [[(label, rule, a, b) for a, b, _, _, label, rule in sorted(f)] for f in found]

    def _matcher(self, chosen: tuple[int, ...]) -> Matcher:
        matcher = self._matchers.get(chosen)
        if matcher is None:
            matcher = self._matchers[chosen] = Matcher(self.nlp.vocab)
            for k in chosen:
                for i in self.groups[k].rules:
                    # The key is the rule's index: matches map straight back to label and id.
                    matcher.add(str(i), [self.patterns[i]["pattern"]])
        return matcher
