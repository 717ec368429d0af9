"""Oversized fields keep head and tail, and say how much was cut."""

from __future__ import annotations

from recall_plugin.capture.trim import trim_text, trim_value


def test_short_text_is_untouched() -> None:
    assert trim_text("hello", 100) == ("hello", 0)


def test_long_text_keeps_head_and_tail_with_a_count() -> None:
    text = "".join(f"line {n}\n" for n in range(5000))
    out, cut = trim_text(text, 3000)
    assert out.startswith("line 0\nline 1\n")
    assert out.endswith("line 4999\n")
    assert f"elided {cut:,} of {len(text):,} chars" in out
    assert len(out) < 3100
    assert len(out) - len(out.split("\n[...")[0]) > 0


def test_cuts_fall_on_whitespace() -> None:
    words = " ".join(f"token{n:05d}" for n in range(3000))
    out, _ = trim_text(words, 1000)
    head, tail = out.split("\n[... claude-recall elided ")
    assert head.rstrip().split(" ")[-1].startswith("token") and len(head.split()[-1]) == 10
    assert tail.split("...]\n")[1].split(" ")[0].startswith("token")


def test_unbroken_text_is_still_cut() -> None:
    out, cut = trim_text("x" * 10_000, 900)
    assert cut == 10_000 - 600 - 300
    assert out.count("x") == 900


def test_nested_values() -> None:
    value = {"a": ["y" * 5000, 3, None, {"b": "z" * 5000}], "c": "short"}
    out, cut = trim_value(value, 1000)
    assert isinstance(out, dict)
    assert out["c"] == "short" and out["a"][1] == 3 and out["a"][2] is None
    assert cut == 2 * (5000 - 666 - 333)


def test_globs_match_like_fnmatch() -> None:
    import fnmatch

    from recall_plugin.capture.globs import matches

    names = ["TodoWrite", "mcp__plugin_recall_claude-recall__search", "Bash", "", "a*b", "/home/u/x"]
    patterns = ["TodoWrite", "Todo*", "*", "", "mcp__*claude-recall*", "B?sh", "*Write", "a*b*",
                "/home/*", "*/x", "x*", "??", "a**b"]
    for name in names:
        for pattern in patterns:
            assert matches(name, pattern) == fnmatch.fnmatchcase(name, pattern), (name, pattern)
