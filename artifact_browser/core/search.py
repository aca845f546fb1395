"""Client-side model of Dioptra's search language (``?search=`` on list routes).

The server (dioptra 1.2.2) parses the ``search`` query parameter with a
pyparsing grammar (``dioptra/restapi/v1/shared/search_parser.py``) and answers
anything it cannot parse, or any unknown field, with a 422 whose ``reason`` is a
pyparsing trace nobody can read. This module lets the GUI refuse such a query
*before* sending it, with a sentence a user understands, and build safe queries
from plain text.

The app does not ship pyparsing, so the grammar is re-implemented here by hand.
Acceptance is decided by :class:`_Matcher`, a literal transcription of the
server's PEG (ordered choice, greedy repetition, pyparsing's whitespace
skipping); the wording of an error comes from :func:`_diagnose`, a separate
structural scan. Keeping the two apart means a better message can never make
the checker disagree with the server about *whether* a query parses.

Grammar facts that are easy to get wrong (all checked against the real parser):

* pyparsing skips ``" \\t\\n\\r"`` before most tokens, so ``f: a``, ``f :a``,
  ``a , b`` and ``f:* a`` parse; but in an unquoted *fielded* value a space may
  not directly follow a plain character: ``f:a b``, ``f:a ,b`` and even a
  trailing ``f:a `` are refused, while ``f:a\\nb`` is accepted.
* Empty or blank quotes (``""``, ``" "``) and an all-blank query are refused:
  a quoted string needs one non-blank token. Only the empty query is "no filter".
* Spaces right after a wildcard or an opening quote are skipped, not matched:
  ``"* a*"`` searches for ``a``, not `` a``.
* Every character outside printable ASCII is refused, inside quotes too.

Typical use::

    if looks_like_query(text, "artifacts"):
        check_query(text, "artifacts")   # raises SearchQueryError
        search = text
    else:
        search = build_query(text)
"""

from __future__ import annotations

import difflib
import re
import string
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "SEARCH_FIELDS",
    "SearchQueryError",
    "build_query",
    "check_query",
    "looks_like_query",
]

# --------------------------------------------------------------------------
# Searchable fields, copied from the dioptra 1.2.2 server source.
# --------------------------------------------------------------------------

_ARTIFACT_FIELDS = frozenset({"artifactUri", "description", "tag"})  # v1/artifacts/service.py
_JOB_FIELDS = frozenset({"description", "status", "timeout", "tag"})  # v1/jobs/service.py
_EXPERIMENT_FIELDS = frozenset({"name", "description", "tag"})  # db/repository/experiments.py
_ENTRYPOINT_FIELDS = frozenset(
    {"name", "description", "task_graph", "artifact_graph", "tag"}
)  # db/repository/entrypoints.py
_QUEUE_FIELDS = frozenset({"name", "description", "tag"})  # db/repository/queues.py
_PLUGIN_FIELDS = frozenset({"name", "description", "tag"})  # v1/plugins/service.py
_PLUGIN_TYPE_FIELDS = frozenset({"name", "description", "tag"})  # db/repository/types.py
_MODEL_FIELDS = frozenset({"name", "description", "tag"})  # v1/models/service.py

#: Field names each searchable list route accepts, keyed by resource name.
#: ``*_snapshots`` routes reuse their resource's map on the server, and
#: ``experiment_jobs`` (``/experiments/{id}/jobs``) and ``experiment_metrics``
#: (``/experiments/{id}/metrics``) reuse the job map.
SEARCH_FIELDS: dict[str, frozenset[str]] = {
    "artifacts": _ARTIFACT_FIELDS,
    "artifact_snapshots": _ARTIFACT_FIELDS,
    "jobs": _JOB_FIELDS,
    "job_snapshots": _JOB_FIELDS,
    "experiment_jobs": _JOB_FIELDS,
    "experiment_metrics": _JOB_FIELDS,
    "job_logs": frozenset({"severity", "message", "logger_name"}),  # v1/jobs/service.py
    "groups": frozenset({"name"}),  # db/repository/groups.py
    "users": frozenset({"username", "email"}),  # db/repository/users.py
    "experiments": _EXPERIMENT_FIELDS,
    "experiment_snapshots": _EXPERIMENT_FIELDS,
    "entrypoints": _ENTRYPOINT_FIELDS,
    "entrypoint_snapshots": _ENTRYPOINT_FIELDS,
    "queues": _QUEUE_FIELDS,
    "queue_snapshots": _QUEUE_FIELDS,
    "plugins": _PLUGIN_FIELDS,
    "plugin_snapshots": _PLUGIN_FIELDS,
    "plugin_files": frozenset({"filename", "description", "contents", "tag"}),
    "plugin_parameter_types": _PLUGIN_TYPE_FIELDS,
    "plugin_parameter_type_snapshots": _PLUGIN_TYPE_FIELDS,
    "models": _MODEL_FIELDS,
    "model_snapshots": _MODEL_FIELDS,
    "model_versions": frozenset({"description", "tag"}),
    "tags": frozenset({"name"}),  # v1/tags/service.py
}

# Fields whose SQL LIKE has no ESCAPE clause although the server still escapes
# '/', '%' and '_' with '/'; those three characters then never match literally,
# so build_query() turns them into the '?' wildcard for these fields.
_LIKE_WITHOUT_ESCAPE: dict[str, frozenset[str]] = {
    "jobs": frozenset({"description", "status", "timeout"}),
    "job_snapshots": frozenset({"description", "status", "timeout"}),
    "experiment_jobs": frozenset({"description", "status", "timeout"}),
    "experiment_metrics": frozenset({"description", "status", "timeout"}),
    "job_logs": frozenset({"severity", "message", "logger_name"}),
    "tags": frozenset({"name"}),
}

# --------------------------------------------------------------------------
# Character classes of the grammar.
# --------------------------------------------------------------------------

_WS = " \t\n\r"  # pyparsing's default whitespace, skipped before most tokens
_SPACE = " \t"  # the server expands tabs to spaces before parsing
_PRINTABLE = "".join(chr(c) for c in range(33, 127))  # pp.printables
_GRAMMAR_CHARS = "\\?*\"':,"
_UNQUOTED = frozenset(_PRINTABLE) - frozenset(_GRAMMAR_CHARS)
_ESCAPABLE = frozenset("\\?*\"'n:,")  # what may follow '\' (note: 'n', not a newline)
_DQ_CHARS = frozenset(_PRINTABLE + " ") - frozenset('\\?*"')
_SQ_CHARS = frozenset(_PRINTABLE + " ") - frozenset("\\?*'")
_FIELD_CHARS = frozenset(string.ascii_letters + "_")
_WILDCARDS = "*?"
_QUOTES = "\"'"

_FIELD_NAME_RE = re.compile(r"[A-Za-z_]+\Z")
_FIELD_PREFIX_RE = re.compile(r"([A-Za-z_]+)[ \t\n\r]*:")
_HEX = frozenset(string.hexdigits)


class SearchQueryError(ValueError):
    """A search query the Dioptra server would refuse with a 422.

    Attributes:
        message: A sentence for the user saying what is wrong and how to fix it.
        position: 0-based index in the query of the offending character, or
            None when the problem is not tied to one place.
    """

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


# --------------------------------------------------------------------------
# The faithful matcher: decides acceptance exactly like the server's grammar.
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Term:
    """One parsed term, shaped like an entry of the server's parse_search_text().

    Attributes:
        field: The field name, or None for free text.
        value: The value tokens (raw text, escapes kept, wildcards separate).
        start: 0-based index of the term's first character in the parsed text.
    """

    field: str | None
    value: tuple[str, ...]
    start: int


# (position after the match, tokens produced)
_Match = tuple[int, list[str]]


class _Matcher:
    """Recursive-descent transcription of the server's pyparsing grammar.

    Every method takes a position and returns ``(new_position, tokens)`` or None
    on failure. Methods whose pyparsing counterpart skips leading whitespace
    (Combine, Literal, Word outside a Combine) call :meth:`_skip` first; those
    inside a Combine do not, because Combine turns whitespace skipping off for
    its contents.
    """

    def __init__(self, text: str) -> None:
        self.s = text
        self.n = len(text)

    def _skip(self, p: int) -> int:
        while p < self.n and self.s[p] in _WS:
            p += 1
        return p

    def _escape(self, p: int) -> int | None:
        if p + 1 < self.n and self.s[p] == "\\" and self.s[p + 1] in _ESCAPABLE:
            return p + 2
        return None

    def _word(self, p: int, chars: frozenset[str]) -> int | None:
        r = p
        while r < self.n and self.s[r] in chars:
            r += 1
        return r if r > p else None

    def _wildcard(self, p: int) -> _Match | None:
        # `~Literal("\\") + ("*" | "?")`: the look-ahead can never fire on a
        # '*' or '?', so this is just a (whitespace-skipping) wildcard.
        q = self._skip(p)
        if q < self.n and self.s[q] in _WILDCARDS:
            return q + 1, [self.s[q]]
        return None

    def _combine(
        self, p: int, chars: frozenset[str], no_space_after_word: bool
    ) -> _Match | None:
        # Combine((escape | Word(chars) [+ ~space])[1, ...])
        q = self._skip(p)
        start = q
        count = 0
        while True:
            e = self._escape(q)
            if e is not None:
                q = e
                count += 1
                continue
            r = self._word(q, chars)
            space_next = r is not None and r < self.n and self.s[r] == " "
            if r is not None and not (no_space_after_word and space_next):
                q = r
                count += 1
                continue
            break
        if count == 0:
            return None
        return q, [self.s[start:q]]

    def _repeat(self, p: int, *alternatives: Callable[[int], _Match | None]) -> _Match | None:
        # (alt1 | alt2 | ...)[1, ...]
        tokens: list[str] = []
        q = p
        while True:
            for alt in alternatives:
                m = alt(q)
                if m is not None:
                    q, toks = m
                    tokens.extend(toks)
                    break
            else:
                break
        return (q, tokens) if tokens else None

    def _quoted(self, p: int, quote: str) -> _Match | None:
        chars = _DQ_CHARS if quote == '"' else _SQ_CHARS
        q = self._skip(p)
        if q >= self.n or self.s[q] != quote:
            return None
        m = self._repeat(q + 1, lambda x: self._combine(x, chars, False), self._wildcard)
        if m is None:
            return None
        q, tokens = m
        q = self._skip(q)
        if q < self.n and self.s[q] == quote:
            return q + 1, tokens
        return None

    def _quoted_any(self, p: int) -> _Match | None:
        return self._quoted(p, "'") or self._quoted(p, '"')

    def _field_term(self, p: int) -> tuple[int, _Term] | None:
        q = self._skip(p)
        r = self._word(q, _FIELD_CHARS)
        if r is None:
            return None
        name = self.s[q:r]
        c = self._skip(r)
        if c >= self.n or self.s[c] != ":":
            return None
        m = self._quoted_any(c + 1) or self._repeat(
            c + 1, lambda x: self._combine(x, _UNQUOTED, True), self._wildcard
        )
        if m is None:
            return None
        return m[0], _Term(name, tuple(m[1]), q)

    def _free_term(self, p: int) -> tuple[int, _Term] | None:
        start = self._skip(p)
        # unquoted_words' alternative `space` (Literal(" ")) skips whitespace
        # before trying to match " ", so it can never match: only the
        # whitespace-skipping Combine and the wildcard are live.
        m = self._quoted_any(p) or self._repeat(
            p, lambda x: self._combine(x, _UNQUOTED, False), self._wildcard
        )
        if m is None:
            return None
        return m[0], _Term(None, tuple(m[1]), start)

    def _term(self, p: int) -> tuple[int, _Term] | None:
        return self._field_term(p) or self._free_term(p)

    def parse(self) -> list[_Term] | None:
        """Parse the whole text like ``parse_string(..., parse_all=True)``.

        Returns:
            The terms, or None when the server's grammar would refuse the text.
        """
        m = self._term(0)
        if m is None:
            return None
        pos, term = m
        terms = [term]
        while True:  # delimitedList: (Suppress(",") + term)[0, ...]
            c = self._skip(pos)
            if c < self.n and self.s[c] == ",":
                m = self._term(c + 1)
                if m is not None:
                    pos, term = m
                    terms.append(term)
                    continue
            break
        return terms if self._skip(pos) == self.n else None


def _parse(query: str) -> list[_Term] | None:
    """Parse ``query`` as the server would.

    Returns:
        The terms (``[]`` for the empty string), or None if the server's
        grammar refuses the query. Token text and ``start`` refer to the query
        after tab expansion, as on the server.
    """
    if not query:  # parse_search_text() short-circuits the empty string
        return []
    # parse_string() expands tabs before parsing (pyparsing's default).
    return _Matcher(query.expandtabs()).parse()


# --------------------------------------------------------------------------
# The diagnoser: explains *why* a refused query is refused.
# --------------------------------------------------------------------------


def _excerpt(query: str, pos: int) -> str:
    """Return a short piece of ``query`` around ``pos`` for messages."""
    lo = max(0, pos - 8)
    hi = min(len(query), pos + 8)
    text = query[lo:hi].replace("\n", " ").replace("\r", " ").replace("\t", " ")
    return ("…" if lo > 0 else "") + text + ("…" if hi < len(query) else "")


def _wildcard_suggestion(query: str, pos: int) -> tuple[str, str]:
    """Return the word around ``pos`` and the same word with non-ASCII as ``?``."""
    # Word boundaries are what the *server* treats as separators; str.isspace()
    # would also stop at U+00A0, which the server sees as a bad character.
    stops = _WS + ",:\"'"
    lo = pos
    while lo > 0 and query[lo - 1] not in stops:
        lo -= 1
    hi = pos
    while hi < len(query) and query[hi] not in stops:
        hi += 1
    word = query[lo:hi]
    return word, "".join("?" if ord(c) > 127 else c for c in word)


def _skip_ws(query: str, p: int) -> int:
    while p < len(query) and query[p] in _WS:
        p += 1
    return p


def _diagnose(query: str) -> SearchQueryError:
    """Explain why the server's grammar refuses ``query``.

    Only called once :func:`_parse` has refused the query. The checks run in the
    order a user should fix things: characters first, then structure.

    Returns:
        The error to raise (never None: a generic one if nothing specific fits).
    """
    n = len(query)
    for i, ch in enumerate(query):
        if ord(ch) > 127:
            word, fixed = _wildcard_suggestion(query, i)
            # Name invisible characters (no-break space, zero-width...) by code.
            shown = f'"{ch}"' if ch.isprintable() and not ch.isspace() else f"U+{ord(ch):04X}"
            return SearchQueryError(
                f"The Dioptra server rejects any search containing a non-ASCII character "
                f'such as {shown} (in "{word}"). Replace each such character with the ? '
                f'wildcard, which matches any one character: "{fixed}".',
                i,
            )
    for i, ch in enumerate(query):
        if ch not in _WS and not (32 <= ord(ch) < 127):
            return SearchQueryError(
                f"The search contains an invisible control character (code {ord(ch)}) "
                f"near “{_excerpt(query, i)}”; delete it.",
                i,
            )
    i = 0
    while i < n:
        if query[i] == "\\":
            if i + 1 >= n:
                return SearchQueryError(
                    "The search ends with a lone backslash. Write \\\\ to search for a "
                    "backslash, or remove it.",
                    i,
                )
            if query[i + 1] not in _ESCAPABLE:
                return SearchQueryError(
                    f'"\\{query[i + 1]}" is not an escape the server understands (only '
                    f'\\\\ \\? \\* \\" \\\' \\n \\: \\, are). Write \\\\ to search for a '
                    "backslash.",
                    i,
                )
            i += 2
        else:
            i += 1
    if not query.strip(_WS):
        return SearchQueryError(
            "The search is blank; clear it completely or type something to search for.",
            0,
        )

    pos = 0
    prev_comma: int | None = None
    while True:
        p = _skip_ws(query, pos)
        if p >= n:
            # Only reachable after a comma: the blank query was handled above.
            return SearchQueryError(
                "The search ends with a comma; remove it or add a term after it.",
                prev_comma,
            )
        if query[p] == ",":
            if prev_comma is None:
                return SearchQueryError(
                    "The search starts with a comma; remove it (commas go between terms).",
                    p,
                )
            return SearchQueryError(
                "There is an empty term between two commas; remove the extra comma.",
                p,
            )
        m = _FIELD_PREFIX_RE.match(query, p)
        if m:
            name = m.group(1)
            colon = m.end() - 1
            v = _skip_ws(query, colon + 1)
            if v >= n or query[v] == ",":
                return SearchQueryError(
                    f'"{name}:" has no value after the colon. Add one, e.g. '
                    f'{name}:*text*, or put the text in quotes ("{name}:") to search '
                    "for the colon itself.",
                    colon,
                )
            if query[v] in _QUOTES:
                end = _diagnose_quoted(query, v)
            else:
                end = _diagnose_field_value(query, v, name)
        elif query[p] in _QUOTES:
            end = _diagnose_quoted(query, p)
        else:
            end = _diagnose_free_text(query, p)
        if isinstance(end, SearchQueryError):
            return end
        e = _skip_ws(query, end)
        if e >= n:
            break
        ch = query[e]
        if ch == ",":
            prev_comma = e
            pos = e + 1
            continue
        if ch == ":":
            return _colon_error(query, p, e, fielded=bool(m))
        if ch in _QUOTES and query[end - 1] not in _QUOTES:
            # Only \" is worth suggesting: the artifact and job routes never
            # un-escape \', so the other quote kind is the fix for '.
            tip = "escape it as \\\" or " if ch == '"' else ""
            return SearchQueryError(
                f"The quote {ch} near “{_excerpt(query, e)}” is inside a term. Quotes "
                "must surround a whole term or field value; to search for the "
                f"character itself, {tip}put the whole term in "
                f"{_other_quote(ch)} quotes.",
                e,
            )
        return SearchQueryError(
            f"Unexpected text after the closing quote near “{_excerpt(query, e)}”. "
            "Move it inside the quotes, or separate terms with a comma.",
            e,
        )
    # The structural scan found nothing: fall back to a generic message.
    return SearchQueryError(
        "The Dioptra server cannot parse this search. Put literal text in double "
        "quotes, and separate terms with commas.",
        None,
    )


def _other_quote(ch: str) -> str:
    return "single" if ch == '"' else "double"


def _colon_error(query: str, term_start: int, colon: int, fielded: bool) -> SearchQueryError:
    """Explain a ':' the grammar cannot place."""
    before = query[term_start:colon].rstrip(_WS)
    if fielded:
        return SearchQueryError(
            f"A second ':' near “{_excerpt(query, colon)}”: a field value that contains "
            'a colon must be quoted, e.g. artifactUri:"file:///data/*".',
            colon,
        )
    if not before:
        return SearchQueryError(
            "The ':' has no field name before it. Write field:value (e.g. "
            "description:*mnist*), or put the text in quotes to search for a colon.",
            colon,
        )
    if re.fullmatch(r"\S+", before):
        return SearchQueryError(
            f'"{before}" cannot be a field name (field names contain only letters and '
            f'_). To search for text containing ":", put it in quotes: "{before}:…".',
            colon,
        )
    return SearchQueryError(
        f"A ':' near “{_excerpt(query, colon)}” is not right after a field name. To "
        "search for text containing a colon, put that text in double quotes.",
        colon,
    )


def _diagnose_quoted(query: str, p: int) -> int | SearchQueryError:
    """Scan a quoted string starting at ``p``; return the index after it."""
    quote = query[p]
    i = p + 1
    blank = True
    while i < len(query):
        ch = query[i]
        if ch == "\\":
            i += 2
            blank = False
            continue
        if ch == quote:
            break
        if ch not in _WS:
            blank = False
        i += 1
    else:
        tip = (
            "escape it as \\\"" if quote == '"' else "put the text in double quotes instead"
        )
        return SearchQueryError(
            f"The quote {quote} near “{_excerpt(query, p)}” is never closed. Add the "
            f"closing {quote}, or to search for the character itself {tip}.",
            p,
        )
    if blank:
        return SearchQueryError(
            "The quotes contain nothing to search for; put text between them or "
            "remove them.",
            p,
        )
    return i + 1


def _diagnose_field_value(query: str, v: int, field: str) -> int | SearchQueryError:
    """Scan an unquoted field value starting at ``v``; return where it stops."""
    n = len(query)
    cur = v
    while True:
        t = _skip_ws(query, cur)  # whitespace may precede each element
        if t < n and query[t] in _WILDCARDS:
            cur = t + 1
            continue
        r = t
        ends_with_word = False
        while r < n:
            if query[r] == "\\":
                r += 2  # validity was checked before the structural scan
                ends_with_word = False
            elif query[r] in _UNQUOTED:
                r += 1
                ends_with_word = True
            else:
                break
        if r == t:
            return cur
        if ends_with_word and r < n and query[r] in _SPACE:
            # `unquoted_chars + ~space`: plain text in a fielded value may not
            # be followed by a space, not even before a comma or at the end.
            rest = _skip_ws(query, r)
            if rest >= n or query[rest] == ",":
                return SearchQueryError(
                    f"The server does not allow a space right after the value of "
                    f'"{field}:" (near “{_excerpt(query, r)}”); remove the space.',
                    r,
                )
            return SearchQueryError(
                f'The value of "{field}:" contains a space; put the value in double '
                f"quotes{_quoted_example(query, v, field)}.",
                r,
            )
        cur = r


def _quoted_example(query: str, v: int, field: str) -> str:
    """Suggest ``field:"value"`` for the unquoted value at ``v``, or "" if unsure."""
    value = query[v:].split(",", 1)[0].strip(_WS)
    # Quotes inside the value must be escaped once it is double-quoted; keep
    # existing escapes (an even run of backslashes before '"' leaves it bare).
    value = re.sub(r'(?<!\\)((?:\\\\)*)"', r'\1\\"', value)
    example = f'{field}:"{value}"'
    # Only offer an example the server would accept.
    return f", e.g. {example}" if _parse(example) else ""


def _diagnose_free_text(query: str, p: int) -> int:
    """Scan free text starting at ``p``; return where it stops."""
    i = p
    while i < len(query):
        ch = query[i]
        if ch == "\\":
            i += 2
        elif ch in _UNQUOTED or ch in _WILDCARDS or ch in _WS:
            i += 1
        else:
            break
    return i


# --------------------------------------------------------------------------
# Public API.
# --------------------------------------------------------------------------


def _fields_for(resource: str) -> frozenset[str]:
    try:
        return SEARCH_FIELDS[resource]
    except KeyError:
        raise ValueError(
            f"unknown resource {resource!r}; expected one of {sorted(SEARCH_FIELDS)}"
        ) from None


def _unknown_field_error(
    field: str, resource: str, fields: frozenset[str], pos: int | None
) -> SearchQueryError:
    valid = ", ".join(sorted(fields))
    by_lower = {f.lower(): f for f in fields}
    close = by_lower.get(field.lower()) or next(
        iter(difflib.get_close_matches(field, sorted(fields), n=1)), None
    )
    hint = f' Did you mean "{close}"?' if close else ""
    return SearchQueryError(
        f'"{field}" is not a field you can search in {resource.replace("_", " ")}; '
        f"the fields are: {valid}.{hint} To search for text containing a colon, put "
        f'it in double quotes, e.g. "{field}:…".',
        pos,
    )


def check_query(query: str, resource: str = "artifacts") -> None:
    """Raise if the Dioptra server would refuse ``query`` for ``resource``.

    The empty string is valid (it means "no filter"). Anything the server's
    grammar accepts with known field names passes; the checker is never
    stricter than the server, except that it also refuses what the server
    refuses after parsing (unknown fields) and names non-ASCII characters.

    Args:
        query: The text to send as the ``search`` query parameter.
        resource: A key of :data:`SEARCH_FIELDS`, e.g. ``"artifacts"``.

    Raises:
        SearchQueryError: If the server would answer 422; ``message`` says what to
            change and ``position`` points at the problem.
        ValueError: If ``resource`` is not a key of :data:`SEARCH_FIELDS`.
    """
    fields = _fields_for(resource)
    terms = _parse(query)
    if terms is None:
        raise _diagnose(query)
    for term in terms:
        if term.field is not None and term.field not in fields:
            raise _unknown_field_error(
                term.field, resource, fields, _original_position(query, term.start)
            )


def _original_position(query: str, expanded_pos: int) -> int:
    """Map an index into ``query.expandtabs()`` back to an index into ``query``."""
    col = 0
    out = 0
    for i, ch in enumerate(query):
        width = (8 - col % 8) if ch == "\t" else 1
        if expanded_pos < out + width:
            return i
        out += width
        col = 0 if ch in "\n\r" else col + width
    return len(query)


def build_query(text: str, field: str | None = None, *, resource: str | None = None) -> str:
    """Turn plain user text into a query meaning "contains this text".

    Free text becomes a double-quoted term (the server already matches free
    text as "contains"); a field gives ``field:"*text*"`` because fielded terms
    are exact LIKE matches. Inside the quotes ``\\ " * ?`` are escaped, so the
    text is taken literally. Where the server cannot match a character
    literally, the ``?`` wildcard (any one character) stands in for it, which
    can only widen the match:

    * non-ASCII characters (the parser rejects them) and control characters;
      the text is NFC-normalised first so "é" is one character, one ``?``;
    * a backslash before ``n``, ``:``, ``,`` or ``'`` (the server un-escapes
      ``\\\\`` first and would then read ``\\n`` etc. as an escape);
    * ``%`` before two hex digits (most list routes URL-decode ``search`` a
      second time, which would turn ``%41`` into ``A``);
    * a space right after a wildcard (the parser skips it);
    * ``_``, ``%`` and ``/`` for fields whose LIKE has no ESCAPE clause (job
      description/status/timeout, job logs, tag names), when ``resource`` says so.

    A newline becomes the ``\\n`` escape. Surrounding whitespace is dropped.

    Args:
        text: What the user typed, taken literally.
        field: A field name to restrict the match to, or None for free text.
        resource: Optionally, the key of :data:`SEARCH_FIELDS` being searched;
            used to validate ``field`` and to apply the LIKE workaround above.

    Returns:
        A query that passes :func:`check_query`, or ``""`` for blank text.

    Raises:
        ValueError: If ``field`` is not a syntactically valid field name, or
            ``resource`` is unknown.
        SearchQueryError: If ``resource`` is given and does not have ``field``.
    """
    if field is not None and not _FIELD_NAME_RE.match(field):
        raise ValueError(f"not a valid field name: {field!r} (letters and _ only)")
    no_like_escape = False
    if resource is not None:
        fields = _fields_for(resource)
        if field is not None and field not in fields:
            raise _unknown_field_error(field, resource, fields, None)
        unescaped = _LIKE_WITHOUT_ESCAPE.get(resource, frozenset())
        no_like_escape = bool(unescaped) and (field is None or field in unescaped)

    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        return ""

    out: list[str] = []
    after_wildcard = field is not None  # the fielded form opens with '*'
    for i, ch in enumerate(text):
        nxt = text[i + 1 : i + 3]
        if ch == "\n":
            piece = "\\n"
        elif ch == " ":
            piece = "?" if after_wildcard else " "
        elif not (32 < ord(ch) < 127):
            piece = "?"
        elif ch == "\\":
            piece = "?" if nxt[:1] in ("n", ":", ",", "'") else "\\\\"
        elif ch in '"*?':
            piece = "\\" + ch
        elif ch == "%" and len(nxt) == 2 and set(nxt) <= _HEX:
            piece = "?"
        elif no_like_escape and ch in "_%/":
            piece = "?"
        else:
            piece = ch
        out.append(piece)
        after_wildcard = piece == "?"
    body = "".join(out)
    if field is not None:
        return f'{field}:"*{body}*"'
    return f'"{body}"'


_TERM_START_QUOTE_RE = re.compile(r"(?:^|[,:])[ \t\n\r]*[\"']")
_ESCAPE_RE = re.compile(r"\\[\\?*\"'n:,]")


def looks_like_query(text: str, resource: str = "artifacts") -> bool:
    """Guess whether ``text`` is written in Dioptra's search language.

    The GUI uses this to choose between sending the text as a query (after
    :func:`check_query`) and wrapping it with :func:`build_query`. It is True
    when any of these appears:

    * a known field prefix of ``resource`` at the start of a term
      (``description:…``, ``tag :x``);
    * a wildcard ``*`` or ``?``;
    * an escape such as ``\\*`` or ``\\\\``;
    * a comma (terms are comma-separated);
    * a quote opening a term or a field value (``"a b"``, ``f:'x'``).

    An apostrophe inside a word (``it's``), a URL (``http://x``, since ``http``
    is no field) or any other plain text gives False.

    Args:
        text: What the user typed.
        resource: A key of :data:`SEARCH_FIELDS`.

    Returns:
        True if the text should be treated as a query.
    """
    fields = _fields_for(resource)
    if not text.strip():
        return False
    for m in re.finditer(r"(?:^|,)[ \t\n\r]*([A-Za-z_]+)[ \t\n\r]*:", text):
        if m.group(1) in fields:
            return True
    if any(c in text for c in "*?,"):
        return True
    if _ESCAPE_RE.search(text):
        return True
    return bool(_TERM_START_QUOTE_RE.search(text))
