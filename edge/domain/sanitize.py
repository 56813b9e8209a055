"""The Ningxia "high-risk words" rule (Ningxia guide 6.2.5 上报内容包含特殊字符限制):

    接口中涉及上报数据时，若有高危特殊字符一律不接收，如：delete、update、select、from、and
    等特殊高危字符。

The platform refuses a whole packet that contains one, and a refused access record is a lost
record. The list ends in 等 ("etc."), so we cover the five printed words plus the other SQL
verbs of the same kind and the SQL comment/terminator/quote characters (SQL_WORDS,
SQL_TOKENS). Words match case-insensitively as whole ASCII words ("and" in "Sandvik" or
"android" is not a hit; "delete" next to Chinese characters is), because the platform's filter
is aimed at SQL and Chinese text never needs these words; a substring filter would refuse
ordinary English names.

Who does what:
  * validation (edge.domain.validate) REJECTS them in every text field of ledger files, the
    enterprise and camera records: a person typed them and can change them
    (`fleetName: contains the SQL word 'and', which the Ningxia platform refuses (6.2.5)`).
  * sanitize()/sanitize_record() REWRITE them for data the lane produces and must never lose
    (access records: cargo names typed at the gate, fleet names copied from the ledger): each
    ASCII letter of a matched word becomes its full-width form (and -> ａｎｄ), ; ' -- /* */
    become ； ’ －－ ／＊ ＊／. The text stays readable, the platform's filter no longer
    matches, and the original stays in the outbox. Uplink encoders call sanitize_record()
    just before encoding a packet; images/media fields and coded fields are never touched.
"""

SQL_WORDS = ("delete", "update", "select", "from", "and",          # printed in 6.2.5
             "insert", "drop", "truncate", "alter", "create", "exec", "execute",
             "union", "declare")
SQL_TOKENS = ("--", "/*", "*/", ";", "'")

_TOKEN_SUBST = {"--": "\uff0d\uff0d", "/*": "\uff0f\uff0a", "*/": "\uff0a\uff0f",
                ";": "\uff1b", "'": "\u2019"}


def _word_char(c):
    return ("a" <= c <= "z") or ("A" <= c <= "Z") or ("0" <= c <= "9") or c == "_"


def _word_hits(text):
    """[(start, end, word)] of whole-word SQL words in text, case-insensitive."""
    low = text.lower()
    hits = []
    for w in SQL_WORDS:
        i = low.find(w)
        while i >= 0:
            j = i + len(w)
            if (i == 0 or not _word_char(low[i - 1])) and (j == len(low) or not _word_char(low[j])):
                hits.append((i, j, w))
            i = low.find(w, i + 1)
    return hits


def find_sql_words(text):
    """The high-risk words and tokens in `text`, in order of first appearance, each once."""
    if not isinstance(text, str):
        return []
    found = [(i, w) for i, _j, w in _word_hits(text)]
    for t in SQL_TOKENS:
        i = text.find(t)
        if i >= 0:
            found.append((i, t))
    found.sort()
    out = []
    for _i, w in found:
        if w not in out:
            out.append(w)
    return out


def _fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def sanitize(text):
    """`text` with every high-risk word/token rewritten (see module doc); other text unchanged."""
    if not isinstance(text, str):
        return text
    hits = _word_hits(text)
    if hits:
        chars = list(text)
        for i, j, _w in hits:
            for k in range(i, j):
                chars[k] = _fullwidth(chars[k])
        text = "".join(chars)
    for t in SQL_TOKENS:
        if t in text:
            text = text.replace(t, _TOKEN_SUBST[t])
    return text


def free_text_fields(kind_name):
    """Names of the plain text fields of a kind (no code table, no format, not media)."""
    from edge.domain.records import kind
    return [f["name"] for f in kind(kind_name)["fields"]
            if f["type"] == "str" and "table" not in f and "format" not in f]


def sanitize_record(kind_name, record):
    """(copy of record with its free-text fields sanitised, [changed field names]).
    For an access record the nested `vehicle` ledger entry is sanitised too."""
    out = dict(record)
    changed = []
    for name in free_text_fields(kind_name):
        v = out.get(name)
        if isinstance(v, str):
            s = sanitize(v)
            if s != v:
                out[name] = s
                changed.append(name)
    if kind_name == "access" and isinstance(out.get("vehicle"), dict):
        sub, sub_changed = sanitize_record("vehicle", out["vehicle"])
        if sub_changed:
            out["vehicle"] = sub
            changed += ["vehicle." + n for n in sub_changed]
    return out, changed
