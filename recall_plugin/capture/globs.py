"""Shell-style globs (``*`` and ``?``) without ``fnmatch``, which compiles a regex (and so
imports ``re``, ~6 ms) on the hook hot path."""

from __future__ import annotations


def matches(name: str, pattern: str) -> bool:
    """True when ``name`` matches ``pattern`` (case-sensitive; ``*`` any run, ``?`` one char)."""
    n = p = 0
    star_p, star_n = -1, 0
    while n < len(name):
        if p < len(pattern) and pattern[p] in ("?", name[n]):
            n, p = n + 1, p + 1
        elif p < len(pattern) and pattern[p] == "*":
            star_p, star_n, p = p, n, p + 1
        elif star_p >= 0:
            star_n += 1
            n, p = star_n, star_p + 1
        else:
            return False
    return all(char == "*" for char in pattern[p:])


def any_match(name: str, patterns: tuple[str, ...]) -> bool:
    return any(matches(name, pattern) for pattern in patterns)
