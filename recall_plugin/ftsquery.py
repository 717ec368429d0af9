"""Query words, as FTS5 sees them (ground floor, standard library only: search and the
UserPromptSubmit hook share it): tokens, stop words, and how much of a query a record holds.

FTS5's ``unicode61`` tokenizer splits on anything that is not a letter or digit and folds case,
so ``parse_invoice_line`` is the three tokens ``parse invoice line`` and matches as a phrase.
Each whitespace-separated word of a query is one phrase. Stop words ("the", "why", "did") carry
no evidence: they are left out of the FTS query (a query of nothing but stop words has no words).
"""

from __future__ import annotations

STOP_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing done down during each few for from further
get got had has have having he her here hers him his how i if in into is it its itself just keep
kept let me more most my no nor not now of off on once only or other our ours out over own same
she should so some still such than that the their theirs them then there these they this those
through to too under until up us very was we were what when where which while who whom why will
with would you your yours
""".split())  # noqa: SIM905  (a word list reads better as text)


_ASCII_SEPARATORS = {c: " " for c in range(128) if not chr(c).isalnum()}


def tokens(text: str) -> list[str]:
    """``text`` split the way unicode61 (remove_diacritics 2) splits it, folded to lower case."""
    if text.isascii():
        return text.lower().translate(_ASCII_SEPARATORS).split()
    import unicodedata  # non-ASCII text only

    folded = unicodedata.normalize("NFKD", text.lower())
    out, current = [], []
    for char in folded:
        if char.isalnum():
            current.append(char)
        elif unicodedata.combining(char):
            continue
        elif current:
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return out


SUFFIXES = ("ment", "ing", "ure", "ed", "es", "ly", "s", "e")  # longest first
STEM_MARK = "*"


def stem(token: str) -> str:
    """A plain word with an ending as its stem, a prefix ("deploys" -> "deploy*", "failure" ->
    "fail*"), so that the forms of a word find each other; identifiers, numbers, short words
    and words without an ending stay exact."""
    if not token.isalpha() or len(token) < 5:
        return token
    for suffix in SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 4:
            return token[: -len(suffix)] + STEM_MARK
    return token  # no ending to strip: the word itself (a prefix query costs more)


def query_words(text: str) -> list[tuple[str, ...]]:
    """The query's words as token tuples (one phrase each; a lone plain word as its stem),
    stop words left out (a query of nothing but stop words has no words); duplicates once."""
    words = [tuple(tokens(word)) for word in text.split()]
    content = [w for w in words if w and not all(t in STOP_WORDS for t in w)]
    return list(dict.fromkeys((stem(w[0]),) if len(w) == 1 else w for w in content))


def phrase(word: tuple[str, ...]) -> str:
    """One query word in FTS5 syntax: a quoted phrase, or a prefix query for a stem."""
    if len(word) == 1 and word[0].endswith(STEM_MARK):
        return '"' + word[0][:-1] + '"*'
    return '"' + " ".join(word).replace('"', '""') + '"'


def forms(word: tuple[str, ...]) -> str:
    """One query word in FTS5 syntax, a stem as the OR of its whole forms (the words ``stem``
    maps to it: "deploy*" is deploy, deploys, deployed, deploying, deployment...) instead of a
    prefix query. FTS5 answers a prefix query by merging the whole doclist of every term that
    starts with it ("work*" reads all of "worker"'s), 2-5 ms at 100,000 records even under a
    LIMIT, while an OR of whole terms stops at the LIMIT (0.05 ms): the per-prompt hook's way."""
    if len(word) != 1 or not word[0].endswith(STEM_MARK):
        return phrase(word)
    root = word[0][:-1]
    found = [root + end for end in ("", *SUFFIXES) if stem(root + end) == word[0]]
    return "(" + " OR ".join(phrase((form,)) for form in [root, *found]) + ")"


def _same(token: str, want: str) -> bool:
    return token.startswith(want[:-1]) if want.endswith(STEM_MARK) else token == want


def holds(doc: list[str], word: tuple[str, ...]) -> bool:
    """Whether the token list ``doc`` contains ``word`` as consecutive tokens."""
    if len(word) == 1:
        return any(_same(token, word[0]) for token in doc)
    size = len(word)
    return any(doc[i:i + size] == list(word) for i in range(len(doc) - size + 1)
               if doc[i] == word[0])


class Doc:
    """A record's tokens, ready for many ``holds`` questions (sets and stem prefixes cached)."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens, self.set = tokens, set(tokens)
        self.prefixes: dict[int, set[str]] = {}

    def holds(self, word: tuple[str, ...]) -> bool:
        if len(word) == 1 and word[0].endswith(STEM_MARK):
            size = len(word[0]) - 1
            if size not in self.prefixes:
                self.prefixes[size] = {token[:size] for token in self.set}
            return word[0][:-1] in self.prefixes[size]
        if any(token not in self.set for token in word):
            return False
        return len(word) == 1 or holds(self.tokens, word)


def coverage(doc: list[str] | Doc, words: list[tuple[str, ...]], weights: list[float]) -> float:
    """The share of the query's (IDF-weighted) words that ``doc`` holds, 0..1."""
    total = sum(weights)
    if not total:
        return 0.0
    found = doc if isinstance(doc, Doc) else Doc(doc)
    return sum(w for word, w in zip(words, weights, strict=True) if found.holds(word)) / total
