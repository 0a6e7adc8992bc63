from pathlib import Path

import pytest

from pipeline import config, nlp, normalize, rules
from pipeline.errors import RuleError

FIXTURES = Path(__file__).parent / "fixtures"


def _examples() -> list[tuple[str, str, str]]:
    lines = (FIXTURES / "rule_examples.tsv").read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t")) for line in lines if line and not line.startswith("#")]


def test_every_rule_file_loads():
    r = rules.load()
    assert len(r.patterns) >= 20
    assert {p["label"] for p in r.patterns} == {"DOSE", "SAMPLE_SIZE", "PERCENTAGE"}


def test_every_rule_id_has_an_example():
    ids = {p["id"] for p in rules.load().patterns}
    assert ids == {rule_id for rule_id, _, _ in _examples()}


@pytest.mark.parametrize(("rule_id", "sentence", "expected"), _examples())
def test_rule_example_matches(rule_id, sentence, expected):
    doc = nlp.get()(normalize.analysis_view(sentence).text)
    found = {(s.id_, sentence[s.start_char:s.end_char]) for s in doc.spans[nlp.SPANS_KEY]}
    assert (rule_id, expected) in found


def _copy_rules(tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "rules"
    shutil.copytree(config.RULES_DIR, target)
    return target


@pytest.mark.parametrize(("line", "message"), [
    ('{"label": "DOSE", "id": "x", "pattern": [{"LIKE_NUM": true}]', "dose.jsonl:"),
    ('{"label": "DOSE", "id": "dose.value_unit", "pattern": [{"LIKE_NUM": true}]}', "duplicate rule id"),
    ('{"label": "DRUG", "id": "d", "pattern": [{"LIKE_NUM": true}]}', "unknown label"),
    ('{"label": "DOSE", "id": "d", "pattern": [{"LIKE_NUM": true}], "x": 1}', "keys must be"),
    ('{"label": "DOSE", "id": "d", "pattern": [{"LOWER": {"IN": "@nope"}}]}', "unknown lexicon"),
    ('{"label": "DOSE", "id": "d", "pattern": [{"BOGUS": 1}]}', "is invalid"),
])
def test_bad_rule_file_names_file_and_line(tmp_path, line, message):
    target = _copy_rules(tmp_path)
    with (target / "patterns" / "dose.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")
    with pytest.raises(RuleError, match=message) as info:
        rules.load(target)
    if "is invalid" not in message:
        n_lines = len((target / "patterns" / "dose.jsonl").read_text().splitlines())
        assert f"dose.jsonl:{n_lines}" in str(info.value)


def test_version_changes_with_rules_but_not_with_decisions(tmp_path):
    target = _copy_rules(tmp_path)
    before = rules.rules_version(target)
    (target / "decisions.jsonl").write_text('{"conflict_id": "x"}\n')
    assert rules.rules_version(target) == before
    with (target / "lexicons" / "drugs.txt").open("a") as fh:
        fh.write("newdrug\n")
    assert rules.rules_version(target) != before


def test_bad_tokenizer_regex_is_a_rule_error(tmp_path):
    import json

    target = _copy_rules(tmp_path)
    data = json.loads((target / "tokenizer.json").read_text())
    data["infixes"].append("(unclosed")
    (target / "tokenizer.json").write_text(json.dumps(data))
    with pytest.raises(RuleError, match="tokenizer.json:1: infixes regex"):
        rules.load(target)
