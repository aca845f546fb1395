"""Tests for artifact_browser.core.search (Dioptra's search language).

The expected verdicts below were checked against the dioptra 1.2.2 server's own
pyparsing grammar (``dioptra.restapi.v1.shared.search_parser``).
"""

from __future__ import annotations

import random
import re

import pytest

from artifact_browser.core.search import (
    SEARCH_FIELDS,
    SearchQueryError,
    build_query,
    check_query,
    looks_like_query,
)

# --------------------------------------------------------------------------
# SEARCH_FIELDS
# --------------------------------------------------------------------------


def test_search_fields_match_server_source() -> None:
    assert SEARCH_FIELDS["artifacts"] == {"artifactUri", "description", "tag"}
    assert SEARCH_FIELDS["artifact_snapshots"] == SEARCH_FIELDS["artifacts"]
    assert SEARCH_FIELDS["jobs"] == {"description", "status", "timeout", "tag"}
    assert SEARCH_FIELDS["experiment_jobs"] == SEARCH_FIELDS["jobs"]
    assert SEARCH_FIELDS["groups"] == {"name"}
    assert SEARCH_FIELDS["experiments"] == {"name", "description", "tag"}
    assert SEARCH_FIELDS["users"] == {"username", "email"}
    assert SEARCH_FIELDS["job_logs"] == {"severity", "message", "logger_name"}
    for fields in SEARCH_FIELDS.values():
        assert isinstance(fields, frozenset)
        assert all(re.fullmatch(r"[A-Za-z_]+", f) for f in fields)


# --------------------------------------------------------------------------
# check_query: what the server accepts must pass
# --------------------------------------------------------------------------

VALID_ARTIFACT_QUERIES = [
    "",
    "mnist",
    "  mnist  ",
    "model weights",  # free text may contain spaces
    "csv,tag:x",
    "a , b",
    "description:*mnist*",
    "artifactUri:*model.bin",  # ordinary punctuation works unquoted
    'artifactUri:"file:///data/*"',
    "artifactUri:'file:///data/*'",
    'description:"a, b: c"',
    "description:'say \"hi\"'",  # the other quote kind is literal
    "description:\"it's\"",
    'description:"\\"quoted\\""',
    "description: mnist",  # whitespace after ':' is skipped
    "description :mnist",  # ... and before it
    "description:* mnist",  # a space may follow a wildcard
    "description:a\\* b",  # ... or an escape
    "description:a\nb",  # a newline is skipped, unlike a space
    "description:*",
    "description:?",
    "*",
    "?",
    "a * b",
    "\\*literal star",
    "a\\\\b",
    "a\\nb",
    "a\\:b",
    "a\\,b",
    '"  padded"',
    '"a\tb"',  # the server expands the tab to spaces
    "tag:x,description:*y*,artifactUri:*.bin",
    "description:*mnist* , tag:x",
    "\tmnist",
    "x#y;z@w",
]


@pytest.mark.parametrize("query", VALID_ARTIFACT_QUERIES)
def test_valid_queries_pass(query: str) -> None:
    check_query(query, "artifacts")


@pytest.mark.parametrize(
    ("query", "resource"),
    [
        ("name:public", "groups"),
        ("status:finished", "jobs"),
        ("timeout:24h", "jobs"),
        ("task_graph:*load*", "entrypoints"),
        ("logger_name:*mlflow*", "job_logs"),
        ("username:alice,email:*@example.org", "users"),
    ],
)
def test_fields_of_other_resources_pass(query: str, resource: str) -> None:
    check_query(query, resource)


def test_default_resource_is_artifacts() -> None:
    check_query("artifactUri:*x*")
    with pytest.raises(SearchQueryError):
        check_query("name:x")


def test_unknown_resource_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown resource"):
        check_query("x", "nonsense")


# --------------------------------------------------------------------------
# check_query: what the server refuses must raise, with a useful message
# --------------------------------------------------------------------------

INVALID_QUERIES = [
    # (query, expected position, fragment of the message)
    ('"abc', 0, "never closed"),
    ("a,'abc", 2, "never closed"),
    ('ab"cd"', 2, "inside a term"),
    ("it's", 2, "double quotes"),
    ('"abc" def', 6, "after the closing quote"),
    ('description:"a"b', 15, "after the closing quote"),
    ('""', 0, "nothing to search for"),
    ('" "', 0, "nothing to search for"),
    ("description:", 11, "no value"),
    ("description:,tag:x", 11, "no value"),
    ("a,", 1, "ends with a comma"),
    (",a", 0, "starts with a comma"),
    ("a,,b", 2, "empty term"),
    ("a, ,b", 3, "empty term"),
    ("   ", 0, "blank"),
    ("description:a b", 13, 'description:"a b"'),
    ("description:a ", 13, "remove the space"),
    ("description:a ,tag:x", 13, "remove the space"),
    ("description:a\tb", 13, "double quotes"),
    ("a\\x", 1, "not an escape"),
    ("a\\", 1, "lone backslash"),
    ('"a\\"', 0, "never closed"),  # the closing quote is escaped
    ("description:a:b", 13, "must be quoted"),
    ("f1:x", 2, "cannot be a field name"),
    (":a", 0, "no field name"),
    ("a b:c", 3, "not right after a field name"),
    ("a\x0bb", 1, "control character"),
]


@pytest.mark.parametrize(("query", "position", "fragment"), INVALID_QUERIES)
def test_invalid_queries_raise(query: str, position: int, fragment: str) -> None:
    with pytest.raises(SearchQueryError) as info:
        check_query(query, "artifacts")
    err = info.value
    assert err.position == position
    assert fragment in err.message
    assert str(err) == err.message
    assert err.message.endswith(".")


def test_search_query_error_is_a_value_error() -> None:
    err = SearchQueryError("Something is wrong.", 3)
    assert isinstance(err, ValueError)
    assert (err.message, err.position) == ("Something is wrong.", 3)
    assert SearchQueryError("x").position is None


def test_unknown_field_lists_valid_fields() -> None:
    with pytest.raises(SearchQueryError) as info:
        check_query("tag:x, bogusfield:abc", "artifacts")
    assert info.value.position == 7
    assert '"bogusfield"' in info.value.message
    assert "artifactUri, description, tag" in info.value.message


def test_unknown_field_depends_on_resource() -> None:
    check_query("name:x", "groups")
    with pytest.raises(SearchQueryError) as info:
        check_query("description:x", "groups")
    assert "the fields are: name." in info.value.message


def test_unknown_field_suggests_the_right_spelling() -> None:
    with pytest.raises(SearchQueryError) as info:
        check_query("artifacturi:*x*")
    assert 'Did you mean "artifactUri"?' in info.value.message


def test_url_looks_like_a_field_and_the_message_says_to_quote_it() -> None:
    with pytest.raises(SearchQueryError) as info:
        check_query("http://example.org")
    assert info.value.position == 0
    assert "double quotes" in info.value.message
    check_query('"http://example.org"')


def test_unknown_field_position_accounts_for_tabs() -> None:
    # The server parses the tab-expanded text; positions refer to the original.
    with pytest.raises(SearchQueryError) as info:
        check_query("\tx,\tbogus:y")
    assert info.value.position == 4


@pytest.mark.parametrize(
    ("query", "position", "suggestion"),
    [
        ("résumé", 1, '"r?sum?"'),
        ('description:"数据"', 13, '"??"'),
        ("tag:naïve,x", 6, '"na?ve"'),
        ("a\u00a0b", 1, '"a?b"'),  # a no-break space is not whitespace to the server
    ],
)
def test_non_ascii_is_refused_with_a_wildcard_suggestion(
    query: str, position: int, suggestion: str
) -> None:
    with pytest.raises(SearchQueryError) as info:
        check_query(query)
    assert info.value.position == position
    assert "non-ASCII" in info.value.message
    assert suggestion in info.value.message


def test_space_suggestion_is_itself_valid() -> None:
    with pytest.raises(SearchQueryError) as info:
        check_query('description:a "b"')
    suggestion = re.search(r"e\.g\. (.*)\.$", info.value.message)
    assert suggestion is not None
    assert suggestion.group(1) == 'description:"a \\"b\\""'
    check_query(suggestion.group(1))


# --------------------------------------------------------------------------
# build_query
# --------------------------------------------------------------------------


def _decode(query: str) -> tuple[str | None, str]:
    """Undo build_query independently of the module: return (field, text).

    Escapes become their character; a bare '?' stays '?' (a wildcard), and
    the '*' that build_query wraps fielded values in is removed.
    """
    m = re.fullmatch(r'(?:([A-Za-z_]+):"\*(.*)\*"|"(.*)")', query, re.S)
    assert m is not None, query
    field = m.group(1)
    body = m.group(2) if field is not None else m.group(3)
    out = []
    i = 0
    while i < len(body):
        if body[i] == "\\":
            nxt = body[i + 1]
            assert nxt in '\\"*?n', query
            out.append("\n" if nxt == "n" else nxt)
            i += 2
        else:
            assert body[i] not in '"*', query  # no bare quote or '*' inside
            out.append(body[i])
            i += 1
    return field, "".join(out)


TRICKY_TEXTS = [
    'say "hi"',
    "C:\\data\\x",
    "a*b",
    "what?",
    "a, b",
    "key: value",
    "  padded text  ",
    "it's",
    "100% sure",
    "a_b/c.d-e",
    "#1 @home",
    "'single'",
    "\\",
    "*",
    '"',
    "?",
]


@pytest.mark.parametrize("text", TRICKY_TEXTS)
@pytest.mark.parametrize("field", [None, "description", "artifactUri"])
def test_build_query_round_trips_literal_text(text: str, field: str | None) -> None:
    query = build_query(text, field)
    check_query(query, "artifacts")
    assert looks_like_query(query)  # the GUI must not wrap it a second time
    assert _decode(query) == (field, text.strip())


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ("mnist", None, '"mnist"'),
        ("mnist", "description", 'description:"*mnist*"'),
        ('a "b" *c?', "tag", 'tag:"*a \\"b\\" \\*c\\?*"'),
        ("C:\\x", None, '"C:\\\\x"'),
        ("a,b:c", None, '"a,b:c"'),
        # A backslash before n : , ' would be misread after the server
        # un-escapes \\ first, so it becomes the one-character wildcard.
        ("C:\\new", None, '"C:?new"'),
        ("a\\,b", None, '"a?,b"'),
        ("it\\'s", None, "\"it?'s\""),
        # Non-ASCII characters become '?' (the server refuses them).
        ("résumé", None, '"r?sum?"'),
        ("résumé", "description", 'description:"*r?sum?*"'),
        ("数据", None, '"??"'),
        ("re\u0301sume\u0301", None, '"r?sum?"'),  # NFC first: one '?' per letter
        # A space right after a wildcard is skipped by the parser: widen it.
        ("é b", None, '"??b"'),
        ("a\tb", None, '"a?b"'),
        ("a\nb", None, '"a\\nb"'),
        # The server URL-decodes `search` twice on most routes.
        ("100%41", None, '"100?41"'),
        ("100%", None, '"100%"'),
    ],
)
def test_build_query_exact(text: str, field: str | None, expected: str) -> None:
    assert build_query(text, field) == expected
    check_query(expected)


@pytest.mark.parametrize("text", ["", " ", "\t\n ", "\u3000"])
def test_build_query_blank_text_gives_empty_query(text: str) -> None:
    assert build_query(text) == ""
    assert build_query(text, "description") == ""


def test_build_query_like_workaround_for_jobs() -> None:
    # Job description/status/timeout use LIKE without ESCAPE, so '_', '%' and
    # '/' can only be matched by the '?' wildcard there.
    assert build_query("my_job/1%", "description", resource="jobs") == (
        'description:"*my?job?1?*"'
    )
    assert build_query("my_job", None, resource="jobs") == '"my?job"'
    assert build_query("my_job", "tag", resource="jobs") == 'tag:"*my_job*"'
    assert build_query("my_job", "description", resource="artifacts") == (
        'description:"*my_job*"'
    )


def test_build_query_rejects_bad_fields() -> None:
    with pytest.raises(ValueError, match="not a valid field name"):
        build_query("x", "no spaces")
    with pytest.raises(ValueError, match="not a valid field name"):
        build_query("x", "")
    with pytest.raises(SearchQueryError, match="the fields are: name"):
        build_query("x", "description", resource="groups")
    assert build_query("x", "name", resource="groups") == 'name:"*x*"'


def test_build_query_random_text_always_passes_check() -> None:
    rng = random.Random(1234)
    alphabet = list("abcXYZ019 ") + list("\\\"'*?,:%_/.-n") + [
        "é", "数", "\n", "\t", "\u00a0", "\x00", "%41", "\\n", "  ",
    ]
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        for field in (None, "description"):
            query = build_query(text, field)
            if not text.strip():
                assert query == ""
                continue
            check_query(query, "artifacts")
            assert query.isascii()
            decoded_field, decoded = _decode(query)
            assert decoded_field == field


# --------------------------------------------------------------------------
# looks_like_query
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("description:*mnist*", True),
        ("tag :x", True),
        ("csv, tag:x", True),
        ("*.bin", True),
        ("model?", True),
        ("a, b", True),
        ('"model weights"', True),
        ("description:'x y'", True),
        ("a\\*b", True),
        ("mnist", False),
        ("model weights", False),
        ("it's", False),
        ("http://example.org", False),  # 'http' is no field
        ("name:x", False),  # not an artifact field
        ("", False),
        ("   ", False),
    ],
)
def test_looks_like_query(text: str, expected: bool) -> None:
    assert looks_like_query(text, "artifacts") is expected


def test_looks_like_query_uses_the_resource_fields() -> None:
    assert looks_like_query("name:x", "groups") is True
    assert looks_like_query("artifactUri:x", "groups") is False
