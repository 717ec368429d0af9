"""The reply parser: tolerant of what models really write, strict about what gets stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from helpers.guards import hang_guard
from helpers.reply_fuzz import FENCED, GOOD, SUMMARY, assert_storable, obs, parse_strict

from recall_plugin.errors import ReplyParseError
from recall_plugin.extract.parse import ParsedReply, parse_reply
from recall_plugin.records import Observation, Summary


def only(reply: str, **kw: Any) -> Observation:
    parsed = parse_reply(reply, **kw)
    assert len(parsed.observations) == 1, parsed
    return parsed.observations[0]


def has_problem(parsed: ParsedReply, *words: str) -> bool:
    return any(all(w in p for w in words) for p in parsed.problems)


# ---------------------------------------------------------------- the table


@dataclass
class Case:
    reply: str
    titles: tuple[str, ...] = ()
    types: tuple[str, ...] | None = None
    summary: bool = False
    skip: bool = False
    problems: tuple[str, ...] = ()  # a substring each, all expected
    clean: bool = False  # no problem at all
    kw: dict[str, Any] = field(default_factory=dict)


CASES: dict[str, Case] = {
    "good": Case(GOOD, ("Fix retry storm in uploader",), ("bugfix",), clean=True),
    "several + summary": Case(f"{GOOD}\n{obs('Two')}\n{obs('Three', 'decision')}\n{SUMMARY}",
                              ("Fix retry storm in uploader", "Two", "Three"),
                              ("bugfix", "feature", "decision"), summary=True, clean=True,
                              kw={"expect_summary": True}),
    "truncated last block kept": Case(obs("One") + "<observation><type>change</type><title>Cut</title>"
                                      "<narrative>half a sent", ("One", "Cut"), problems=("cut off",)),
    "truncated in cdata opener": Case("<observation><type>change</type><title>Cut</title><narrative>x<![CD",
                                      ("Cut",), problems=("cut off",)),
    "truncated mid-tag": Case("<observation><type>change</type><title>Cut</title><narrative>x</narr",
                              ("Cut",), problems=("cut off",)),
    "truncated title dropped": Case(obs("One") + "<observation><type>change</type><title>Half a ti",
                                    ("One",), problems=("cut off", "no complete title")),
    "truncated before type": Case(obs("One") + "<observation><title>T</title>", ("One",),
                                  problems=("no type",)),
    "stray & and <": Case(obs("a < b && c > d", extra="<narrative>List<String> & Map<K, V></narrative>"),
                          ("a < b && c > d",)),
    "entities": Case(obs("&lt;b&gt; &amp; it&#39;s &#x263A; &nosuch; &amp"),
                     ("<b> & it's \u263a &nosuch; &amp",)),
    "cdata": Case(obs("<![CDATA[x </observation> & <y>]]>"), ("x </observation> & <y>",)),
    "unclosed cdata": Case(obs("t", extra="<narrative><![CDATA[never closed"), ("t",), problems=("cut off",)),
    "unclosed field tags": Case("<observation><type>bugfix<title>Open title<narrative>n</observation>",
                                ("Open title",), ("bugfix",)),
    "unclosed block mid-reply": Case(f"<observation><type>feature</type><title>One</title>\n{obs('Two')}",
                                     ("One", "Two"), problems=("no closing tag",)),
    "wrong root": Case(f"<response><result>{obs('R')}</result></response>", ("R",), clean=True),
    "observations root": Case(f"<observations>{obs('R')}{obs('S')}</observations>", ("R", "S"), clean=True),
    "no root, prose": Case(f"Sure! Here is what I found.\n{obs('P')}\nHope it helps.\n{obs('Q')}\nBye",
                           ("P", "Q"), clean=True),
    "code fences": Case(f"```xml\n{GOOD}\n```", ("Fix retry storm in uploader",), clean=True),
    "truncated inside fence": Case("```xml\n<observation><type>bugfix</type><title>F</title>\n```", ("F",)),
    "any case, spaces, attributes": Case('< Observation id="1" ><TYPE> BugFix </ type><Title>\n  Hi\n</TITLE>'
                                         "</OBSERVATION >", ("Hi",), ("bugfix",), clean=True),
    "skip only": Case("<skip_summary/>", skip=True, kw={"expect_summary": True}, clean=True),
    "skip open": Case(f"{obs('A')}<SKIP_SUMMARY>", ("A",), skip=True, clean=True),
    "skip pair": Case("<skip_summary></skip_summary>", skip=True, clean=True),
    "skip dashed": Case("< skip-summary />", skip=True, clean=True),
    "nothing: no_observations": Case("<no_observations/>", clean=True),
    "nothing: observations/": Case("Nothing new here.\n<observations/>", clean=True),
    "nothing: empty observations": Case("<observations>\n</observations>", clean=True),
    "nothing + skip": Case("<No_Observations/><skip_summary/>", skip=True, clean=True),
    "nothing, summary wanted": Case("<no_observations/>", kw={"expect_summary": True},
                                    problems=("summary was asked for",)),
    "summary wanted, missing": Case(obs("A"), ("A",), kw={"expect_summary": True},
                                    problems=("summary was asked for",)),
    "unknown type with summary": Case(obs("X", "musing") + SUMMARY, summary=True,
                                      problems=("unknown type 'musing'",)),
    "missing title": Case(obs("", extra="") + obs("Kept"), ("Kept",), problems=("no complete title",)),
    "empty observation element": Case("<observation/>" + obs("Kept"), ("Kept",),
                                      problems=("no complete title",)),
    "extra summary ignored": Case(SUMMARY + SUMMARY, summary=True, problems=("only the first summary",)),
    "bare summary text": Case(obs("Kept") + "<summary>Did the thing.</summary>", ("Kept",),
                              problems=("no field tags, ignored",)),
    "think block drafts": Case("<think>Draft: <observation><type>bugfix</type><title>Draft"
                               "</title></observation></think>" + obs("Real"), ("Real",)),
    "lone closing think": Case("plan it first...</think>" + obs("After thought"), ("After thought",)),
    "fenced xml": Case("Here you go:\n```xml\n" + GOOD + "\n```\nDone.",
                       ("Fix retry storm in uploader",), clean=True),
    "template echo": Case(obs("short, specific, searchable (max ~12 words)") + obs("Real one"),
                          ("Real one",), problems=("template text",)),
    "echoed summary fields": Case(obs("Kept") + "<summary><request>what the user asked for"
                                  "</request><learned>what was learned</learned></summary>",
                                  ("Kept",), problems=("summary: no real content",)),
    "markup flood": Case(obs("Flood", extra="<narrative>" + "<div><span>x</span></div>" * 40
                             + "</narrative>") + obs("Fine"), ("Fine",), problems=("mostly markup",)),
    "echoed list items": Case(obs("Kept", extra="<concepts><concept>keyword</concept><concept>retry"
                                                "</concept></concepts>"), ("Kept",),
                              problems=("echoing the template",)),
    "empty summary + skip": Case("<summary></summary><skip_summary/>", skip=True,
                                 problems=("summary: empty",)),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_table(case: Case) -> None:
    parsed = parse_reply(case.reply, **case.kw)
    assert_storable(parsed)
    assert tuple(o.title for o in parsed.observations) == case.titles
    if case.types is not None:
        assert tuple(o.type for o in parsed.observations) == case.types
    assert (parsed.summary is not None) == case.summary
    assert parsed.skip_summary == case.skip
    for word in case.problems:
        assert has_problem(parsed, word), parsed.problems
    if case.clean:
        assert parsed.problems == ()


RAISES = {
    "empty": "",
    "cut inside think": "<think>Let me look at the events. First the Read of",
    "only reasoning": "<reasoning>The user edited retry.py</reasoning>",
    "only a template echo": "<summary><request>what the user asked for</request>"
                            "<investigated>what was looked at</investigated></summary>",
    "tag-less summary only": "<summary>" + "<div>junk</div>" * 20 + "</summary>",
    "whitespace": " \n\t ",
    "prose only": "I looked at the events and found nothing of note.",
    "fields without a block": "<type>bugfix</type><title>No wrapper</title>",
    "prose in observations": "<observations>nothing to say</observations>",
    "all rejected": obs("X", "musing") + obs(""),
    "only an empty summary": "<summary> </summary>",
    "truncated only block": "<observation><type>bugfix</type><title>Half",
}


@pytest.mark.parametrize("reply", RAISES.values(), ids=RAISES.keys())
def test_raises(reply: str) -> None:
    with pytest.raises(ReplyParseError):
        parse_reply(reply)


def test_rejections_are_listed_in_the_error() -> None:
    with pytest.raises(ReplyParseError, match=r"musing.*no complete title"):
        parse_reply(obs("X", "musing") + obs(""))


def test_non_text_raises_the_parse_error() -> None:
    with pytest.raises(ReplyParseError):
        parse_reply(None)  # type: ignore[arg-type]


def test_good_reply_fields() -> None:
    parsed = parse_reply(f"{GOOD}\n{SUMMARY}", known_paths=frozenset({"/w/src/uploader.py"}), cwd="/w")
    assert parsed.observations == (Observation(
        type="bugfix", title="Fix retry storm in uploader", subtitle="Backoff now honours Retry-After",
        facts=("uploader.py retried 429s immediately", "Retry-After is in seconds"),
        narrative="The uploader ignored Retry-After.\nIt now sleeps for it.",
        concepts=("retry", "rate-limit"), files_read=("src/uploader.py", "docs/api.md"),
        files_modified=("src/uploader.py",)),)
    assert parsed.summary == Summary("Stop the retry storm", "uploader logs", "429s carry Retry-After",
                                     "backoff fixed", "add jitter", "none")
    assert parsed.problems == () and not parsed.skip_summary


@pytest.mark.parametrize("tail", ["\n```", "</narr", "<![CD", "<", "</ narrative", ""])
def test_truncated_narrative_is_kept_as_far_as_it_goes(tail: str) -> None:
    o = only(f"<observation><type>bugfix</type><title>T</title><narrative>first part, then{tail}")
    assert o.narrative == "first part, then"


# ---------------------------------------------------------------- types


@pytest.mark.parametrize(("given", "expected"), [
    ("fix", "bugfix"), ("Bug", "bugfix"), ("HOTFIXES", "bugfix"), ("bug fix", "bugfix"), ("bugs", "bugfix"),
    ("feat", "feature"), ("Enhancements", "feature"), ("addition", "feature"), ("features", "feature"),
    ("refactoring", "refactor"), ("clean-up", "refactor"), ("restructure", "refactor"),
    ("investigation", "discovery"), ("findings", "discovery"), ("research", "discovery"),
    ("learning", "discovery"), ("discoveries", "discovery"), ("choice", "decision"), ("design", "decision"),
    ("Architecture", "decision"), ("update", "change"), ("modifications", "change"), ("chore", "change"),
    ("config", "change"), ("docs", "change"), ("changes", "change"),
])
def test_synonym_types_are_mapped_with_a_problem(given: str, expected: str) -> None:
    parsed = parse_reply(obs("T", given))
    assert parsed.observations[0].type == expected
    assert has_problem(parsed, repr(given), repr(expected))


@pytest.mark.parametrize("kind", ["Bugfix", " feature ", "DECISION"])
def test_case_and_space_of_a_valid_type_are_silent(kind: str) -> None:
    parsed = parse_reply(obs("T", kind))
    assert parsed.observations[0].type == kind.strip().lower() and parsed.problems == ()


@pytest.mark.parametrize("kind", ["musing", "s", "fixture", "???", "bugfix feature"])
def test_unknown_types_are_rejected_by_name(kind: str) -> None:
    parsed = parse_reply(obs("T", kind) + obs("Kept"))
    assert [o.title for o in parsed.observations] == ["Kept"]
    assert has_problem(parsed, "unknown type", repr(kind), "rejected")


# ---------------------------------------------------------------- files_modified


def modified(paths: list[str], known: set[str], cwd: str = "") -> tuple[ParsedReply, tuple[str, ...]]:
    files = "".join(f"<file>{p}</file>" for p in paths)
    parsed = parse_reply(obs("T", extra=f"<files_modified>{files}</files_modified>"),
                         known_paths=frozenset(known), cwd=cwd)
    return parsed, parsed.observations[0].files_modified


@pytest.mark.parametrize(("path", "known", "cwd"), [
    ("/w/src/a.py", {"/w/src/a.py"}, ""),
    ("/w/src/../src/a.py", {"/w/src/a.py"}, ""),
    ("src/a.py", {"/w/src/a.py"}, "/w"),
    ("./a.py", {"/w/a.py"}, "/w"),
    ("src/a.py", {"/elsewhere/src/a.py"}, ""),
    ("pkg/src/a.py", {"/w/pkg/src/a.py"}, "/other"),
    ("/w/src/a.py", {"src/a.py"}, "/w"),
    ("src/a.py", {"src/a.py"}, ""),
])
def test_modified_paths_seen_in_the_session_are_kept(path: str, known: set[str], cwd: str) -> None:
    parsed, kept = modified([path], known, cwd)
    assert len(kept) == 1 and parsed.problems == ()


@pytest.mark.parametrize(("path", "known", "cwd"), [
    ("/w/src/invented.py", {"/w/src/a.py"}, "/w"),
    ("a.py", {"/w/src/a.py"}, ""),
    ("a.py", {"/w/src/a.py"}, "/w"),
    ("other/a.py", {"/w/src/a.py"}, "/w"),
    ("rc/a.py", {"/w/src/a.py"}, ""),
    ("/x/src/a.py", {"/w/src/a.py"}, ""),
])
def test_invented_modified_paths_are_dropped_by_name(path: str, known: set[str], cwd: str) -> None:
    parsed, kept = modified([path, "/w/src/a.py"], known | {"/w/src/a.py"}, cwd)
    assert kept == ("/w/src/a.py",)
    assert has_problem(parsed, "files_modified", path.strip())


def test_without_known_paths_modified_paths_are_kept() -> None:
    _, kept = modified(["/anything.py", "rel/x.py"], set())
    assert kept == ("/anything.py", "rel/x.py")


def test_files_read_are_never_checked() -> None:
    o = only(obs("T", extra="<files_read>/nowhere/x.py</files_read>"), known_paths=frozenset({"/w/a"}))
    assert o.files_read == ("/nowhere/x.py",)


# ---------------------------------------------------------------- list fields


LISTS = {
    "children": "<facts><fact>one</fact> <fact>two</fact></facts><concepts><concept>c1</concept></concepts>",
    "any child tag": "<facts><item>one</item><li>two</li></facts><concepts><tag>c1</tag></concepts>",
    "lines": "<facts>\n  one\n\n  two\n</facts><concepts>\nc1\n</concepts>",
    "bullets": "<facts>\n- one\n* two\n</facts><concepts>\n1. c1\n</concepts>",
    "numbered": "<facts>1) one\n2. two</facts><concepts>\u2022 c1</concepts>",
    "duplicates": "<facts><fact>one</fact><fact>two</fact><fact> one </fact></facts>"
                  "<concepts>c1, c1</concepts>",
    "unclosed child": "<facts><fact>one<fact>two</fact></facts><concepts><concept>c1</concept></concepts>",
    "split field": "<facts><fact>one</fact></facts><concepts>c1</concepts><facts>two</facts>",
}


@pytest.mark.parametrize("body", LISTS.values(), ids=LISTS.keys())
def test_list_fields_in_every_shape(body: str) -> None:
    o = only(obs("T", extra=body))
    assert o.facts == ("one", "two") and o.concepts == ("c1",)


def test_commas_split_concepts_and_files_but_not_facts() -> None:
    o = only(obs("T", extra="<facts>retried at once, ignoring Retry-After</facts>"
                            "<concepts>retry, rate-limit,backoff</concepts>"
                            "<files_read>`src/a.py`, 'src/b.py'\n./src/c.py</files_read>"))
    assert o.facts == ("retried at once, ignoring Retry-After",)
    assert o.concepts == ("retry", "rate-limit", "backoff")
    assert o.files_read == ("src/a.py", "src/b.py", "src/c.py")


def test_stray_angle_brackets_in_line_lists_are_text() -> None:
    o = only(obs("T", extra="<facts>\nreturns List<String>\nx < y > z\n</facts>"))
    assert o.facts == ("returns List<String>", "x < y > z")


@pytest.mark.parametrize(("narrative", "expected"), [
    ("\n    para one\n\n\n\n    para two   \n  ", "para one\n\npara two"),
    ("  first\n      code:\n        indented\n      back\n", "first\ncode:\n  indented\nback"),
    ("a\r\n\r\n\r\n\r\nb", "a\n\nb"),
])
def test_whitespace_is_normalised(narrative: str, expected: str) -> None:
    o = only(obs("  Many \n  words\there ", extra=f"<narrative>{narrative}</narrative>"))
    assert o.title == "Many words here"
    assert o.narrative == expected


# ---------------------------------------------------------------- caps


def test_overlong_fields_are_capped_with_problems() -> None:
    facts = "".join(f"<fact>fact {n}</fact>" for n in range(40)) + f"<fact>{'f' * 1500}</fact>"
    parsed = parse_reply(obs("t" * 250, extra=f"<subtitle>{'s' * 400}</subtitle><narrative>{'n' * 9000}"
                                             f"</narrative><facts>{facts}</facts>"))
    o = parsed.observations[0]
    assert len(o.title) == 200 and len(o.subtitle) == 300 and len(o.narrative) == 8000
    assert len(o.facts) == 30 and o.facts[0] == "fact 0"
    for word in ("title cut", "subtitle cut", "narrative cut", "facts cut from 41 to 30"):
        assert has_problem(parsed, word), parsed.problems


def test_each_fact_is_capped() -> None:
    parsed = parse_reply(obs("T", extra=f"<facts><fact>{'f' * 1500}</fact></facts>"))
    assert len(parsed.observations[0].facts[0]) == 1000 and has_problem(parsed, "an item of facts")


# ---------------------------------------------------------------- hostile input


HOSTILE = {
    "angles": "<" * 1_000_000,
    "angle spaces": "<" + " " * 1_000_000,
    "half tags": "<a b" * 250_000,
    "opens": "<observation>" * 80_000,
    "summaries": "<summary>" * 110_000,
    "cdata opens": "<![CDATA[" * 110_000,
    "ampersands": "&#" * 500_000,
    "nested children": obs("T") + "<observation><type>fix</type><title>T</title><facts>" + "<fact>" * 160_000,
    "long title": "<observation><type>fix</type><title>" + "x " * 500_000 + "</title></observation>",
    "lines": obs("T", extra="<concepts>" + "- a, b\n" * 140_000 + "</concepts>"),
    "blank narrative": obs("T", extra="<narrative>" + " \n" * 500_000 + "</narrative>"),
    "many blocks": obs("T") * 16_000,
}


@pytest.mark.parametrize("reply", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_megabyte_is_linear(reply: str) -> None:
    assert len(reply) >= 900_000
    # A hang guard, not a speed measurement: a quadratic parser takes many minutes on a
    # megabyte, a linear one about a second (benchmarks measure speed).
    with hang_guard():
        try:
            assert_storable(parse_reply(reply, known_paths=frozenset({"/w/a.py"}), cwd="/w"))
        except ReplyParseError as exc:
            assert len(str(exc)) < 5000


# ---------------------------------------------------------------- properties


# The property tests (random text, tag soup, mutated replies) are test_fuzz's, on helpers.reply_fuzz.


def test_the_untouched_valid_reply_parses_cleanly() -> None:
    parsed = parse_strict(FENCED, expect_summary=True)
    assert parsed is not None and len(parsed.observations) == 2 and parsed.summary is not None
    assert parsed.observations[1].title == "Second & last" and has_problem(parsed, "'fix'", "'bugfix'")


def test_code_in_a_narrative_is_not_taken_for_markup() -> None:
    narrative = ("Header.tsx now renders <IconButton> instead of <Button>, and <Tooltip> wraps it; "
                 "the <nav> keeps its aria-label.")
    kept = only(obs("Icon buttons in the header", extra=f"<narrative>{narrative}</narrative>"))
    assert kept.narrative == narrative
