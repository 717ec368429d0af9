# ruff: noqa: E501  (a data file: one record per entry reads better than wrapped cells)
"""A deterministic corpus of coding-session memory and questions about it, for eval_recall.

Shaped like the extractor's output: observations (type, title, subtitle, narrative, facts,
concepts, files) grouped in sessions with a summary each, over five projects, dated through
2026 up to ``NOW``. Key records carry the answers; routine records (dependency bumps, renames,
tests, docs) are generated around them from the same vocabulary so that every question has
near misses. Nothing random at import: ``build()`` always returns the same corpus.

Question kinds: paraphrase (no content word shared with the answer), exact (identifier, error
string or path), keyword, temporal (named or relative dates), cross-project (the right
project's record wins, nothing from another project), multi-hop (two records needed).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from benchmarks.eval_key_records import KEY

NOW = "2026-11-20T12:00:00.000Z"
PROJECTS = ("shop-api", "billing", "web-app", "infra", "mobile")


@dataclass(frozen=True)
class Record:
    key: str
    project: str
    type: str
    title: str
    subtitle: str
    narrative: str
    facts: tuple[str, ...]
    concepts: tuple[str, ...]
    files: tuple[str, ...]
    created_at: str
    session: str = ""


@dataclass(frozen=True)
class Question:
    kind: str
    text: str
    targets: tuple[str, ...]  # record keys ("k:..." observation, "s:..." summary)
    project: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


# Same subject, several dates: the question names the date (relative to NOW or a month).
TEMPORAL = [
    # key, project, type, date, title, narrative
    ("deploy-feb", "shop-api", "bugfix", "2026-02-17", "Deploy rollback after failed health check",
     "The deploy of build 311 failed its health check and was rolled back."),
    ("deploy-jun", "shop-api", "bugfix", "2026-06-22", "Deploy stuck on a database lock",
     "The deploy waited on a lock held by a long report query."),
    ("deploy-oct", "shop-api", "change", "2026-10-20", "Deploy now runs migrations in a separate job",
     "Migrations run before the deploy instead of inside it."),
    ("deploy-nov", "shop-api", "bugfix", "2026-11-13", "Deploy failed on a missing environment variable",
     "SENTRY_DSN was not set for the new region."),
    ("deploy-yday", "shop-api", "change", "2026-11-19", "Deploy notifications posted to the team channel",
     "Each deploy posts its version and author."),
    ("perf-mar", "web-app", "discovery", "2026-03-09", "Bundle size regression from the date library",
     "The bundle grew 300 KB after importing the full date library."),
    ("perf-jul", "web-app", "change", "2026-07-14", "Bundle split per route",
     "Each route loads its own chunk of the bundle."),
    ("perf-nov", "web-app", "bugfix", "2026-11-12", "Bundle included source maps in production",
     "Source maps were shipped inside the production bundle."),
    ("alerts-jan", "infra", "change", "2026-01-20", "Alert on disk usage above 85 percent",
     "New alert rule for disk usage on every node."),
    ("alerts-may", "infra", "change", "2026-05-26", "Alert routing to the on-call rotation",
     "Alerts now page whoever is on call."),
    ("alerts-sep", "infra", "bugfix", "2026-09-08", "Alert storm from a flapping probe",
     "A flapping probe sent 400 alerts in an hour; alerts now wait 5 minutes."),
]
TEMPORAL_Q = [
    ("deploy problems in February", ("deploy-feb",), "shop-api"),
    ("what went wrong with the deploy in June", ("deploy-jun",), "shop-api"),
    ("deploy changes in October", ("deploy-oct",), "shop-api"),
    ("deploy failure last week", ("deploy-nov",), "shop-api"),
    ("what did we change about deploys yesterday", ("deploy-yday",), "shop-api"),
    ("bundle size issue in March", ("perf-mar",), "web-app"),
    ("bundle work in July", ("perf-jul",), "web-app"),
    ("bundle bug last week", ("perf-nov",), "web-app"),
    ("alert rules added in January", ("alerts-jan",), "infra"),
    ("alerts in May", ("alerts-may",), "infra"),
    ("alert problem in September", ("alerts-sep",), "infra"),
    ("deploy issues before March", ("deploy-feb",), "shop-api"),
    ("alerts before February", ("alerts-jan",), "infra"),
    ("bundle changes after October", ("perf-nov",), "web-app"),
    ("what was recorded on 2026-06-22 about the deploy", ("deploy-jun",), "shop-api"),
    ("deploys this month", ("deploy-nov", "deploy-yday"), "shop-api"),
    # an event as the point in time: dated by the record the memory holds for it
    ("deploy problems before the shipped_at migration", ("deploy-feb", "deploy-jun"), "shop-api"),
    ("deploy changes since the shipped_at migration", ("deploy-oct", "deploy-nov", "deploy-yday"),
     "shop-api"),
    ("alerts before the on-call rotation", ("alerts-jan",), "infra"),
    ("bundle fixes after the bundle split per route", ("perf-nov",), "web-app"),
    ("what did we learn about the bundle before we split it per route", ("perf-mar",), "web-app"),
]

# Same subject in two projects: a project-scoped question must find its own project's record.
CROSS = [
    ("rl-billing", "billing", "feature", "2026-08-06", "Rate limiting for the invoice API",
     "Invoice endpoints allow 20 requests per second per tenant; a leaky bucket in memory."),
    ("pool-billing", "billing", "bugfix", "2026-04-18", "Connection pool too small for batch invoicing",
     "The nightly batch opened 40 connections; the pool is now sized for it."),
    ("cache-web", "web-app", "bugfix", "2026-05-23", "Image cache served stale avatars",
     "The CDN kept avatars for a day; uploads now change the URL."),
    ("flag-mobile", "mobile", "decision", "2026-06-05", "Feature flags for the app from remote config",
     "Flags come from Firebase Remote Config with defaults in the binary."),
    ("health-infra", "infra", "change", "2026-11-15", "Health checks for the load balancer pool",
     "Target groups check /healthz every 10 s."),
    ("migr-billing", "billing", "change", "2026-10-09", "Schema migration adds invoices.paid_at",
     "Added paid_at and backfilled it from payments."),
]
CROSS_Q = [
    ("rate limiting", ("rl-billing",), "billing"), ("rate limiting", ("rate-limit-api",), "shop-api"),
    ("connection pool", ("pool-billing",), "billing"), ("connection pool", ("pool-exhaust",), "shop-api"),
    ("image cache", ("cache-web",), "web-app"), ("image cache", ("img-cache",), "mobile"),
    ("feature flags", ("flag-mobile",), "mobile"), ("feature flag rollout", ("flag-rollout",), "web-app"),
    ("health checks", ("health-infra",), "infra"), ("health endpoint", ("healthcheck",), "shop-api"),
    ("schema migration backfill", ("migr-billing",), "billing"),
    ("schema migration backfill", ("schema-migration",), "shop-api"),
]

# Two records needed: the question spans both.
MULTI_Q = [
    ("the 429 backoff fix and the rate limiter that sends Retry-After", ("upl-retry", "rate-limit-api")),
    ("idempotency keys and the stripe webhook signature fix", ("dedupe-charges", "stripe-webhook")),
    ("postgres restore drill version mismatch and the postgres 16 upgrade", ("backup-restore", "pg-upgrade")),
    ("checkout feature flag and the flaky checkout playwright test", ("flag-rollout", "flaky-e2e")),
    ("image cache LRU on android and the thumbnail worker memory leak", ("img-cache", "mem-leak")),
    ("health endpoint and the liveness probe restarts", ("healthcheck", "k8s-probe")),
    ("oauth refresh across tabs and the websocket reconnect after sleep", ("oauth-refresh", "ws-reconnect")),
    ("shipped_at migration and the order cache WAL decision", ("schema-migration", "wal-cache")),
    ("vault secrets leases and terraform state lock", ("secrets-vault", "tf-state")),
    ("CI pip cache and the self-hosted gpu runner", ("ci-cache", "gpu-runner")),
]

# Nothing in the corpus answers these: a search should find no relevant memory.
UNRELATED = ("recipe for lasagna with spinach", "who won the football world cup", "best hiking trails in norway",
             "how tall is mount everest", "knitting patterns for a winter scarf", "purple elephant banana smoothie",
             "translate good morning into japanese", "history of the roman empire", "quantum chromodynamics lattice",
             "what is the capital of australia", "gardening tips for tomatoes", "jazz piano chord voicings")

# Everyday prompts of a coding session: most prompts should get no injected memory.
GENERIC = ("run the tests again", "commit this with a good message", "explain what this function does",
           "make the error message clearer", "add type hints to this file", "now update the README",
           "why is this failing?", "rename the variable to something better", "looks good, continue",
           "can you refactor this into smaller functions", "fix the lint errors", "undo the last change",
           "write a unit test for the parser", "what does this stack trace mean", "format the code",
           "check the logs for errors", "add a docstring", "is there a simpler way to do this",
           "open a pull request", "thanks, that works")

ROUTINE_TITLES = (
    "Add unit tests for {m}", "Rename helper in {m}", "Bump {d} to {v}", "Fix typo in {m} docstring",
    "Tidy imports in {m}", "Log request ids in {m}", "Type hints for {m}", "Remove dead code in {m}",
    "Document configuration of {m}", "Move constants of {m} to settings",
)
MODULES = {
    "shop-api": ("uploader", "checkout", "orders", "catalog", "search", "middleware", "workers", "cache"),
    "billing": ("invoice", "charges", "refunds", "reports", "tax", "webhooks", "export"),
    "web-app": ("auth", "checkout page", "theme", "live updates", "modal", "resolvers", "flags"),
    "infra": ("terraform", "ansible", "runners", "backup", "vault", "alerting", "kubernetes"),
    "mobile": ("push", "images", "cart", "scanner", "signing", "deep links"),
}
DEPS = ("requests", "pydantic", "react", "kotlin", "terraform-aws", "redis-py", "okhttp", "vite")


def _routine(rng: random.Random, n: int) -> Record:
    project = PROJECTS[n % len(PROJECTS)]
    module = rng.choice(MODULES[project])
    title = rng.choice(ROUTINE_TITLES).format(m=module, d=rng.choice(DEPS), v=f"{rng.randint(1, 9)}.{rng.randint(0, 30)}")
    month, day = rng.randint(1, 11), rng.randint(1, 28)
    if month == 11:
        day = min(day, 19)
    path = f"src/{module.replace(' ', '_')}/{rng.choice(('core', 'util', 'api', 'models'))}.py"
    narrative = (f"Routine change in the {module} module: {title.lower()}. No behaviour change;"
                 f" tests pass. Touched {path}.")
    return Record(f"r{n}", project, rng.choice(("change", "refactor", "change", "discovery")), title,
                  f"{module} housekeeping", narrative, (f"{path} edited",), (module.split()[0], "maintenance"),
                  (path,), f"2026-{month:02d}-{day:02d}T{rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}:00.000Z")


def records() -> list[Record]:
    out = [Record(k, p, t, title, sub, narr, (fact,), tuple(c.split(",")), (path,), f"{d}T10:00:00.000Z")
           for k, p, t, d, title, sub, narr, fact, path, c, *_ in KEY]
    out += [Record(k, p, t, title, "", narr, (), (), (), f"{d}T11:00:00.000Z") for k, p, t, d, title, narr in TEMPORAL]
    out += [Record(k, p, t, title, "", narr, (), (), (), f"{d}T12:00:00.000Z") for k, p, t, d, title, narr in CROSS]
    rng = random.Random(2026)
    out += [_routine(rng, n) for n in range(260)]
    out.sort(key=lambda r: (r.project, r.created_at, r.key))
    sessions: list[Record] = []
    for i, rec in enumerate(out):  # sessions of up to 4 records of one project on one day
        prev = out[i - 1] if i else None
        same = prev is not None and prev.project == rec.project and prev.created_at[:10] == rec.created_at[:10]
        sid = sessions[-1].session if same and sessions and sum(s.session == sessions[-1].session for s in sessions) < 4 else f"sess-{i}"
        sessions.append(Record(**{**rec.__dict__, "session": sid}))
    return sessions


def summaries(recs: list[Record]) -> list[tuple[str, str, str, str, str, str, str]]:
    """(session_id, project, request, completed, learned, next_steps, created_at) per session."""
    by_session: dict[str, list[Record]] = {}
    for rec in recs:
        by_session.setdefault(rec.session, []).append(rec)
    out = []
    for sid, group in by_session.items():
        titles = [r.title for r in group]
        out.append((sid, group[0].project, f"Work on {group[0].project}: {titles[0].lower()}",
                    "; ".join(titles), group[-1].subtitle or "nothing new",
                    "Follow up on " + titles[-1].lower(), group[-1].created_at[:10] + "T19:00:00.000Z"))
    return out


def questions() -> list[Question]:
    qs: list[Question] = []
    for k, _p, *_rest in KEY:
        para, exact, keyword = _rest[-3:]
        qs.append(Question("paraphrase", para, (k,), None))
        qs.append(Question("exact", exact, (k,), None))
        qs.append(Question("keyword", keyword, (k,), None))
    qs += [Question("temporal", text, keys, None, {"project_hint": proj}) for text, keys, proj in TEMPORAL_Q]
    qs += [Question("cross-project", text, keys, proj) for text, keys, proj in CROSS_Q]
    qs += [Question("multi-hop", text, keys, None) for text, keys in MULTI_Q]
    return qs


STOP_TEXT = ("a an the of to in on for and or with without by from at as is are was were be been it its "
           "this that we our us they them their when what why how who which did do does done get got "
           "not no so than then there into out up down after before about over under one some all "
           "every each can could would should will kept keep still now new making sure people")
STOP = set(STOP_TEXT.split())


def content_words(text: str) -> set[str]:
    cleaned = "".join(c.lower() if c.isalnum() else " " for c in text)
    return {w for w in cleaned.split() if w not in STOP and len(w) > 2}


def paraphrase_overlaps() -> list[tuple[str, set[str]]]:
    """Paraphrase questions sharing a content word with their answer (should be none)."""
    out = []
    for k, _p, _t, _d, title, sub, narr, fact, path, conc, para, *_ in KEY:
        shared = content_words(para) & content_words(" ".join((title, sub, narr, fact, path, conc)))
        if shared:
            out.append((k, shared))
    return out
