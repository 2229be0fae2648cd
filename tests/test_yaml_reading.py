"""Reading YAML and JSON the way kube-apiserver's policy reader does.

The apiserver reads a policy with sigs.k8s.io/yaml (go-yaml v2 underneath: YAML 1.1 scalars, the
first document only) or, when the input starts with '{', as JSON (runtime/serializer/json
RecognizesData). Each test names the upstream function whose behaviour it pins.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from kube_audit_lint.policy.load import apiserver_read
from kube_audit_lint.policy.yamlnodes import (
    InputError,
    looks_like_json,
    parse_data,
    parse_documents,
    parse_leading_documents,
    read_file,
    resolve_plain_scalar,
)

PACKAGE_TREE = Path(__file__).resolve().parents[1]


def data_of(text: str):
    return parse_documents("p.yaml", text)[0].data


# --- go-yaml v2 resolve(): what an unquoted scalar becomes -------------------------------------

@pytest.mark.parametrize("text", ["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"])
def test_yaml11_true_spellings_are_booleans(text):
    # go-yaml v2 resolve.go resolveMapList: YAML 1.1 booleans, not only true/false
    assert resolve_plain_scalar(text) is True


@pytest.mark.parametrize("text", ["n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"])
def test_yaml11_false_spellings_are_booleans(text):
    assert resolve_plain_scalar(text) is False


@pytest.mark.parametrize("text", ["yEs", "oN", "tRUE", "nO", "Nope", "yes please"])
def test_only_the_listed_boolean_spellings_resolve(text):
    # resolveMap is an exact lookup: mixed case is a string
    assert resolve_plain_scalar(text) == text


@pytest.mark.parametrize("text", ["", "~", "null", "Null", "NULL"])
def test_null_spellings(text):
    assert resolve_plain_scalar(text) is None


@pytest.mark.parametrize("text, value", [
    ("5", 5), ("-5", -5), ("+5", 5), ("0777", 0o777), ("0x1F", 31), ("0X1f", 31), ("0o17", 15),
    ("0b101", 5), ("-0b101", -5), ("1_000", 1000), ("0b-101", -5),
])
def test_integers_follow_go_parseint_base_0(text, value):
    # resolve(): ParseInt(strings.Replace(in, "_", "", -1), 0, 64), then the 0b fallbacks
    assert resolve_plain_scalar(text) == value and isinstance(resolve_plain_scalar(text), int)


@pytest.mark.parametrize("text, value", [("08", 8.0), ("0778", 778.0), ("1.5", 1.5), ("1e3", 1000.0),
                                         (".5", 0.5), ("-.5", -0.5), ("1.", 1.0), ("1_0.5", 10.5)])
def test_numbers_parseint_refuses_become_floats(text, value):
    # "08" is not octal, so ParseInt fails and the yamlStyleFloat regexp takes it: a number, not a string
    result = resolve_plain_scalar(text)
    assert isinstance(result, float) and result == value


@pytest.mark.parametrize("text", ["1e999", "0x1p-2", "1.2.3", "-", "+", "0b", "._5", "12:30", "2024-01-01",
                                  "1.0.0", "v1", "08:00"])
def test_scalars_go_yaml_keeps_as_strings(text):
    # 1e999 overflows ParseFloat (ErrRange), so go-yaml keeps the text; timestamps stay strings
    # when decoding into interface{} (go-yaml v2 decode.go, for backward compatibility)
    assert resolve_plain_scalar(text) == text


def test_special_floats():
    assert resolve_plain_scalar(".inf") == math.inf
    assert resolve_plain_scalar("-.Inf") == -math.inf
    assert math.isnan(resolve_plain_scalar(".NaN"))


def test_quoted_scalars_are_always_strings():
    data = data_of('a: "yes"\nb: \'08\'\nc: "null"\nd: |\n  no\n')
    assert data == {"a": "yes", "b": "08", "c": "null", "d": "no\n"}


def test_explicit_str_tag_keeps_a_boolean_spelling_as_text():
    # go-yaml resolve(): any data is accepted as !!str
    assert data_of("a: !!str yes\nb: yes\n") == {"a": "yes", "b": True}


def test_explicit_int_and_bool_tags_resolve_quoted_text():
    assert data_of('a: !!int "5"\nb: !!bool "no"\nc: !!float 5\n') == {"a": 5, "b": False, "c": 5.0}


def test_explicit_tag_that_does_not_fit_is_unreadable():
    # go-yaml failf("cannot decode %s `%s` as a %s")
    with pytest.raises(InputError, match="cannot decode !!str `abc` as a !!int"):
        data_of("a: !!int abc\n")


def test_custom_tags_keep_the_text():
    assert data_of("a: !something yes\n") == {"a": "yes"}


def test_anchor_without_tag_still_resolves():
    assert data_of("a: &x yes\nb: *x\n") == {"a": True, "b": True}


def test_non_string_keys_become_their_json_text():
    # sigs.k8s.io/yaml convertToJSONableObject: bool and number keys are written as strings
    assert data_of("yes: 1\n5: 2\n") == {"true": 1, "5": 2}


def test_null_list_item_stays_null_for_the_decoder():
    # JSON null into a Go string is a no-op, so the model turns it into ""
    assert data_of("verbs: [get, ~, null, ]\n") == {"verbs": ["get", None, None]}


# --- mappings: duplicates and merges (go-yaml v2 decoder.mapping / setMapIndex) -----------------

def test_duplicate_key_last_value_wins_and_is_recorded():
    doc = parse_documents("p.yaml", "a: 1\nb: 2\na: 3\n")[0]
    assert doc.data == {"a": 3, "b": 2}
    assert [(path, span.line) for path, span in doc.duplicate_keys] == [(("a",), 3)]


def test_merge_key_overwrites_keys_written_before_it():
    # go-yaml v2 applies "<<" where it stands: earlier explicit keys are overwritten, later ones win
    data = data_of("b: &b {level: Metadata}\nr1:\n  level: None\n  <<: *b\nr2:\n  <<: *b\n  level: None\n")
    assert data["r1"] == {"level": "Metadata"} and data["r2"] == {"level": "None"}


def test_merge_sequence_earlier_maps_take_precedence():
    data = data_of("x: &x {a: 1}\ny: &y {a: 2, b: 2}\nz:\n  <<: [*x, *y]\n")
    assert data["z"] == {"a": 1, "b": 2}


def test_merge_of_a_scalar_is_unreadable():
    with pytest.raises(InputError, match="map merge requires map"):
        data_of("a: &s hello\nb:\n  <<: *s\n")


# --- documents, JSON, and unreadable input ------------------------------------------------------

def test_json_is_recognised_by_its_first_non_space_character():
    # json.Serializer.RecognizesData: utilyaml.IsJSONBuffer (leading '{' after white space)
    assert looks_like_json('  \n{"a": 1}')
    assert not looks_like_json("a: {b: 1}")
    doc = parse_documents("p.json", '{"kind": "Policy", "rules": [{"level": "None"}]}')[0]
    assert doc.is_json and doc.data["rules"] == [{"level": "None"}]


def test_invalid_json_is_unreadable_with_its_position():
    with pytest.raises(InputError) as info:
        parse_documents("p.json", '{"kind": "Policy",\n  "rules": [}\n')
    assert (info.value.line, info.value.column) == (2, 13)
    assert str(info.value).startswith("p.json:2:13: invalid JSON")


def test_positions_are_one_based_line_and_column():
    doc = parse_documents("p.yaml", "kind: Policy\nrules:\n  - level: Metadata\n")[0]
    span = doc.span(("rules", 0, "level"))
    assert (span.line, span.column) == (3, 12)
    assert doc.key_span(("rules", 0, "level")).column == 5


def test_broken_later_document_does_not_hide_the_first():
    # sigs.k8s.io/yaml.Unmarshal decodes the first document and never parses further
    text = "kind: Policy\nrules: [{level: None}]\n---\nfoo: [unclosed\n"
    documents, error = parse_leading_documents("p.yaml", text)
    assert len(documents) == 1 and error is not None and error.line >= 4
    with pytest.raises(InputError):
        parse_documents("p.yaml", text)


def test_broken_first_document_is_unreadable():
    with pytest.raises(InputError, match="invalid YAML"):
        parse_leading_documents("p.yaml", "kind: [Policy\n---\nkind: Policy\n")


def test_apiserver_read_warns_about_a_broken_later_document(write_policy):
    path = write_policy("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: None}]\n---\nfoo: [x\n")
    reading = apiserver_read(path)
    assert reading.verdicts[0].accepted
    assert any(not n.error and "never reads past the first document" in n.message for n in reading.notes)


def test_empty_first_document_is_read_as_null(write_policy):
    # an empty first document is what the apiserver decodes, even with a policy after it
    path = write_policy("---\n---\napiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: None}]\n")
    reading = apiserver_read(path)
    assert reading.documents[0].data is None
    assert not reading.verdicts[0].accepted


@pytest.mark.parametrize("content, message", [
    (b"", "empty file"),
    (b"  \n\n", "empty file"),
    (b"\x00\x01\x02binary", "binary file"),
    (b"kind: Policy\nname: \xff\xfe\n", "not UTF-8"),
    (b"kind: Policy\n  rules: - x\n", "invalid YAML"),
])
def test_unreadable_input_is_a_one_line_error_with_position(tmp_path, content, message):
    path = tmp_path / "p.yaml"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        read_file(str(path))
    text = str(info.value)
    assert message in text and "\n" not in text
    assert text.startswith(f"{path}:{info.value.line}:{info.value.column}: ")


def test_not_utf8_points_at_the_bad_byte(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_bytes(b"kind: Policy\nname: ab\xff\n")
    with pytest.raises(InputError) as info:
        read_file(str(path))
    assert (info.value.line, info.value.column) == (2, 9)


def test_missing_file_and_directory_are_unreadable(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_file(str(tmp_path / "absent.yaml"))
    with pytest.raises(InputError, match="is a directory"):
        read_file(str(tmp_path))


def test_byte_order_mark_is_ignored(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_bytes(b"\xef\xbb\xbfkind: Policy\n")
    assert read_file(str(path))[1][0].data == {"kind": "Policy"}


def test_json_numbers_stay_numbers():
    # JSON input goes to encoding/json directly: 1e999 is a number token there, never text
    doc = parse_documents("p.json", '{"verbs": [1e999, 5, true, null]}')[0]
    assert [type(v) for v in doc.data["verbs"]] == [float, int, bool, type(None)]


# --- the project's own data files: read as plain data, with a policy's scalar rules -------------

DATA_FILES = sorted(
    str(path.relative_to(PACKAGE_TREE)) for folder in ("linter/data", "baselines")
    for path in (PACKAGE_TREE / folder).rglob("*.yaml")
)


@pytest.mark.parametrize("relative", DATA_FILES)
def test_a_shipped_data_file_reads_as_plain_data_as_a_policy_would(relative):
    text = (PACKAGE_TREE / relative).read_text("utf-8")
    assert parse_data(relative, text) == data_of(text)


@pytest.mark.parametrize("text, expected", [
    ("a: yes", {"a": True}),                       # go-yaml v2 booleans, as in a policy
    ("a: !!str yes", {"a": "yes"}),                # a tag the source spells out wins
    ('a: "1"', {"a": "1"}),
    ("a: &x !!int '3'\nb: *x", {"a": 3, "b": 3}),
    ("a: [b, {c: null}]", {"a": ["b", {"c": None}]}),
    ("1: x", {"1": "x"}),                          # keys are strings, as sigs.k8s.io/yaml makes them
])
def test_data_scalars_follow_the_policy_rules(text, expected):
    assert parse_data("d.yaml", text) == expected == data_of(text)


def test_a_data_file_holds_one_document():
    with pytest.raises(InputError, match="expected one YAML document, found 2"):
        parse_data("d.yaml", "a: 1\n---\nb: 2\n")
