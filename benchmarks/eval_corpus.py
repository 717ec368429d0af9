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


# key, project, type, date, title, subtitle, narrative, fact (holds the exact string), files,
# concepts, paraphrase question (no shared content word), exact query, keyword query
KEY = [
    ("upl-retry", "shop-api", "bugfix", "2026-02-03", "Uploader retried 429 responses without delay",
     "Backoff now honours Retry-After", "The S3 uploader hammered the API after HTTP 429; it now "
     "waits with exponential backoff and jitter, reading the Retry-After header.",
     "upload_with_backoff() caps the wait at 30 s", "src/uploader/s3_client.py", "retry,rate-limit",
     "why did pushing files keep flooding the remote service when it told us to slow down",
     "upload_with_backoff", "uploader 429 backoff"),
    ("pay-sandbox", "shop-api", "discovery", "2026-02-10", "Payments sandbox refuses connections on port 8443",
     "The sandbox only listens after docker compose up", "Integration tests failed until the payments "
     "sandbox container was started; CI now starts it first.",
     "error: connect ECONNREFUSED 127.0.0.1:8443", "tests/integration/test_payments.py", "payments,docker",
     "checkout suites could not reach the fake card processor locally",
     "ECONNREFUSED 127.0.0.1:8443", "payments sandbox docker compose"),
    ("wal-cache", "shop-api", "decision", "2026-03-04", "Use SQLite WAL for the order cache",
     "Readers never block the writer", "Chose write-ahead logging so checkout reads do not wait "
     "for the nightly import; synchronous=NORMAL is enough for a cache.",
     "PRAGMA journal_mode=WAL in order_cache.open()", "src/cache/order_cache.py", "sqlite,cache",
     "how do purchase lookups avoid stalling while the overnight load runs",
     "journal_mode=WAL", "order cache WAL"),
    ("invoice-split", "billing", "refactor", "2026-03-12", "Split parse_invoice_line into helpers",
     "No behaviour change", "parse_invoice_line had grown to 200 lines; it now delegates to "
     "parse_amount and parse_tax_code, each with its own tests.",
     "parse_invoice_line now 20 lines", "billing/invoice/parser.py", "parsing,refactor",
     "breaking the big bill row reader into smaller pieces",
     "parse_invoice_line", "invoice parser helpers"),
    ("tz-reports", "billing", "bugfix", "2026-03-20", "Monthly report off by one day in UTC+13",
     "Dates are now converted with zoneinfo before grouping", "Customers in Tonga saw charges on "
     "the wrong day because naive datetimes were grouped as UTC.",
     "ZoneInfo('Pacific/Tongatapu') reproduces it", "billing/reports/monthly.py", "timezone,reports",
     "statements put purchases on an incorrect calendar date for an island nation in Oceania",
     "Pacific/Tongatapu", "monthly report timezone"),
    ("dark-mode", "web-app", "feature", "2026-04-02", "Dark theme through CSS custom properties",
     "prefers-color-scheme picks the palette", "Added a dark colour scheme; every colour is a "
     "variable on :root so components need no change.",
     "--surface-bg and --text-fg variables", "web/styles/theme.css", "css,theme",
     "night look for the site that follows the operating system setting",
     "--surface-bg", "dark theme css variables"),
    ("oauth-refresh", "web-app", "bugfix", "2026-04-09", "Token refresh raced between browser tabs",
     "A BroadcastChannel lock serialises refreshes", "Two tabs refreshing the OAuth token at once "
     "invalidated each other's refresh token and logged the user out.",
     "invalid_grant: refresh token already used", "web/src/auth/refresh.ts", "oauth,auth",
     "people got signed out when they had several windows of the site open",
     "invalid_grant: refresh token already used", "oauth token refresh tabs"),
    ("pool-exhaust", "shop-api", "bugfix", "2026-04-15", "Database connection pool exhausted under load",
     "Sessions were not returned on exceptions", "A handler leaked SQLAlchemy sessions when "
     "validation failed; the pool of 20 ran dry during the sale.",
     "QueuePool limit of size 20 overflow 10 reached", "src/db/session.py", "database,pool",
     "while the big promotion lasted the backend used up its handles to postgres",
     "QueuePool limit of size 20 overflow 10 reached", "connection pool exhausted"),
    ("k8s-probe", "infra", "bugfix", "2026-04-22", "Liveness probe killed pods during slow start",
     "startupProbe added with a 120 s budget", "The JVM service needed 90 s to warm up and the "
     "liveness probe restarted it in a loop.",
     "CrashLoopBackOff on catalog-7d9f", "deploy/k8s/catalog.yaml", "kubernetes,probes",
     "containers kept getting rebooted before they had finished booting",
     "CrashLoopBackOff", "liveness startup probe"),
    ("tf-state", "infra", "discovery", "2026-05-05", "Terraform state lock left behind by a cancelled job",
     "force-unlock with the lock id from DynamoDB", "A cancelled pipeline left the state locked; "
     "the lock id is in the DynamoDB table terraform-locks.",
     "Error acquiring the state lock: ConditionalCheckFailedException", "infra/terraform/backend.tf",
     "terraform,state", "provisioning stayed blocked after someone aborted a CI run midway",
     "ConditionalCheckFailedException", "terraform state lock"),
    ("push-notif", "mobile", "feature", "2026-05-13", "Push notifications through Firebase Cloud Messaging",
     "Device tokens stored per user", "Added FCM; tokens are refreshed on app start and removed "
     "on logout.", "FirebaseMessaging.getToken() on launch", "mobile/app/src/push/PushService.kt",
     "notifications,firebase", "alerting phones when something happens even if nobody has the application open",
     "FirebaseMessaging.getToken", "firebase push notifications"),
    ("img-cache", "mobile", "bugfix", "2026-05-21", "Image cache grew without bound on Android",
     "LRU limit of 64 MB", "Thumbnails were cached forever; the app used 1.2 GB of storage on "
     "some devices.", "DiskLruCache maxSize = 64 MB", "mobile/app/src/images/ThumbCache.kt",
     "cache,storage", "the phone application filled people's disks with pictures",
     "DiskLruCache", "image cache LRU"),
    ("flag-rollout", "web-app", "decision", "2026-06-03", "Roll out the new checkout behind a feature flag",
     "10 percent of sessions first", "Decided to ship the redesigned checkout behind the flag "
     "new_checkout_v2 and raise it after a week of error-rate checks.",
     "flag new_checkout_v2 starts at 10%", "web/src/flags.ts", "feature-flag,release",
     "gradually exposing the reworked purchase page to a fraction of visitors",
     "new_checkout_v2", "checkout feature flag"),
    ("ws-reconnect", "web-app", "bugfix", "2026-06-11", "Websocket reconnect loop after laptop sleep",
     "Backoff resets only after a stable minute", "After sleep the client reconnected every "
     "50 ms and the server rate-limited it.", "WebSocket is closed before the connection is established",
     "web/src/live/socket.ts", "websocket,network",
     "after waking a computer the realtime feed kept hammering the backend",
     "WebSocket is closed before the connection is established", "websocket reconnect sleep"),
    ("stripe-webhook", "billing", "bugfix", "2026-06-18", "Stripe webhook signature check failed behind the proxy",
     "The raw body must be verified, not the parsed JSON", "The proxy re-serialised the body, so "
     "the signature never matched; the handler now reads the raw bytes.",
     "No signatures found matching the expected signature for payload", "billing/webhooks/stripe.py",
     "stripe,webhooks", "incoming payment provider callbacks were rejected as forged",
     "No signatures found matching the expected signature", "stripe webhook signature"),
    ("dedupe-charges", "billing", "decision", "2026-06-25", "Idempotency keys for every charge request",
     "Key = order id + attempt", "Decided every call to the card processor carries an "
     "idempotency key so retries never double charge.", "Idempotency-Key header on POST /v1/charges",
     "billing/charges/client.py", "idempotency,payments",
     "guaranteeing a customer is billed once even when the same operation is resent",
     "Idempotency-Key", "idempotency key charges"),
    ("log-rotation", "infra", "change", "2026-07-02", "Rotate nginx logs daily and keep 14",
     "logrotate with copytruncate", "The disk on edge-1 filled with access logs; logrotate now "
     "rotates daily and compresses.", "/etc/logrotate.d/nginx rotate 14",
     "infra/ansible/roles/nginx/templates/logrotate.j2", "logging,disk",
     "the frontline machine ran out of space because of request history files",
     "/etc/logrotate.d/nginx", "nginx logrotate daily"),
    ("mem-leak", "shop-api", "bugfix", "2026-07-09", "Memory leak in the thumbnail worker",
     "Pillow images were never closed", "RSS grew 40 MB per hour; images opened in a loop were "
     "not closed and the worker was OOM-killed nightly.", "Image.open() without a with-block",
     "src/workers/thumbnails.py", "memory,worker",
     "the background picture resizing process kept growing until the kernel terminated it",
     "src/workers/thumbnails.py", "thumbnail worker memory leak"),
    ("search-reindex", "shop-api", "change", "2026-07-16", "Nightly Elasticsearch reindex with an alias swap",
     "Zero-downtime rebuild", "The product index is rebuilt into products_v2 and the alias "
     "switched atomically.", "alias products -> products_v2", "src/search/reindex.py",
     "search,elasticsearch", "rebuilding the catalogue lookup without the storefront going dark",
     "products_v2", "elasticsearch reindex alias"),
    ("ci-cache", "infra", "change", "2026-07-23", "CI caches pip wheels keyed on the lock file",
     "Builds 3 minutes faster", "GitHub Actions now caches ~/.cache/pip keyed on the hash of "
     "requirements.lock.", "hashFiles('requirements.lock')", ".github/workflows/ci.yml",
     "ci,cache", "pipelines got quicker by not fetching python packages every run",
     ".github/workflows/ci.yml", "ci pip cache"),
    ("rate-limit-api", "shop-api", "feature", "2026-08-04", "Per-client rate limiting with a token bucket",
     "Redis keeps the buckets", "Each API key gets 100 requests per minute; Redis INCR with "
     "expiry keeps the counters.", "RateLimitExceeded returns 429 with Retry-After",
     "src/middleware/ratelimit.py", "rate-limit,redis",
     "stopping one customer from using up all the capacity of the service",
     "RateLimitExceeded", "token bucket rate limiting"),
    ("csv-export", "billing", "feature", "2026-08-12", "CSV export of invoices for accountants",
     "Streaming response, UTF-8 with BOM", "Excel needs a BOM to open UTF-8 files correctly; the "
     "export streams rows so large months fit in memory.", "Content-Disposition: attachment; filename=invoices.csv",
     "billing/export/csv_export.py", "export,csv",
     "letting the finance people download spreadsheets of what was sold",
     "invoices.csv", "csv export invoices"),
    ("a11y-focus", "web-app", "bugfix", "2026-08-20", "Modal dialogs trapped keyboard focus incorrectly",
     "Focus returns to the trigger on close", "Screen-reader users lost their place after closing "
     "a modal; focus now returns to the opening button.", "aria-modal=true and inert on the background",
     "web/src/components/Modal.tsx", "accessibility,focus",
     "blind visitors became disoriented after a popup window went away",
     "aria-modal", "modal focus trap"),
    ("ios-crash", "mobile", "bugfix", "2026-08-27", "iOS crash when the camera permission is denied",
     "Guard before starting the capture session", "The scanner assumed access and crashed with "
     "a nil device.", "EXC_BAD_ACCESS in ScannerViewController.startCapture",
     "mobile/ios/Scanner/ScannerViewController.swift", "ios,permissions",
     "the iphone application died when people refused to let it use the lens",
     "ScannerViewController.startCapture", "ios camera permission crash"),
    ("backup-restore", "infra", "discovery", "2026-09-03", "Postgres backups restored only with the matching major version",
     "pg_restore 15 cannot read dumps from 16", "A restore drill failed because the runner had "
     "pg_restore 15; the drill image now pins 16.", "pg_restore: error: unsupported version (1.15) in file header",
     "infra/backup/restore_drill.sh", "backup,postgres",
     "our disaster rehearsal could not bring the data back due to a tool mismatch",
     "unsupported version (1.15) in file header", "postgres restore version"),
    ("graphql-n1", "web-app", "bugfix", "2026-09-10", "N+1 queries in the orders GraphQL resolver",
     "DataLoader batches customer lookups", "Loading 50 orders made 51 queries; a DataLoader now "
     "batches customers per request.", "OrderResolver.customer() called per row",
     "web/api/resolvers/orders.ts", "graphql,performance",
     "the purchases page issued a database round trip for each line",
     "OrderResolver.customer", "graphql dataloader orders"),
    ("tax-rates", "billing", "change", "2026-09-17", "VAT rates moved to a dated table",
     "Rates change on a date, not on deploy", "Tax rates were constants; they are now rows with "
     "valid_from so January changes need no release.", "tax_rates.valid_from column",
     "billing/tax/rates.py", "tax,vat",
     "levies for european sales now take effect on a calendar day without shipping code",
     "tax_rates.valid_from", "vat rates table"),
    ("secrets-vault", "infra", "decision", "2026-09-24", "Move service secrets to Vault with short leases",
     "No more long-lived credentials in env files", "Decided to issue database credentials from "
     "Vault with one-hour leases; apps renew through the agent sidecar.",
     "vault lease ttl=1h for database/creds/shop", "infra/vault/policies/shop.hcl", "secrets,vault",
     "how the programs obtain passwords that expire quickly instead of permanent ones",
     "database/creds/shop", "vault secrets leases"),
    ("offline-sync", "mobile", "feature", "2026-10-01", "Offline queue for cart changes",
     "Room table replays on reconnect", "Cart edits made without a network go into a Room table "
     "and are replayed in order when connectivity returns.", "PendingCartOp entity in Room",
     "mobile/app/src/cart/OfflineQueue.kt", "offline,sync",
     "shoppers on the subway can still add things to their basket",
     "PendingCartOp", "offline cart queue"),
    ("schema-migration", "shop-api", "change", "2026-10-08", "Migration 0042 adds orders.shipped_at",
     "Backfilled from the shipments table", "Added a nullable shipped_at column and backfilled it "
     "in batches of 10,000 to keep locks short.", "alembic revision 0042_add_shipped_at",
     "migrations/versions/0042_add_shipped_at.py", "migration,schema",
     "recording when each parcel left the warehouse in the database",
     "0042_add_shipped_at", "shipped_at migration"),
    ("flaky-e2e", "web-app", "bugfix", "2026-10-15", "Flaky Playwright test waited on a fixed timeout",
     "Wait for the network to go idle instead", "test_checkout_flow failed one run in ten because "
     "it slept 2 s; it now waits for the request to finish.", "page.waitForTimeout(2000) replaced",
     "web/e2e/checkout.spec.ts", "testing,flaky",
     "a browser automation check that passed or broke at random",
     "page.waitForTimeout(2000)", "flaky playwright test"),
    ("cors", "shop-api", "bugfix", "2026-10-22", "CORS preflight rejected the new admin origin",
     "admin.example.com added to allowed origins", "The admin SPA moved to its own host and every "
     "OPTIONS request failed.", "No 'Access-Control-Allow-Origin' header is present",
     "src/middleware/cors.py", "cors,http",
     "the back-office site on its new domain could not call our endpoints from the browser",
     "Access-Control-Allow-Origin", "cors preflight admin origin"),
    ("gpu-runner", "infra", "change", "2026-10-29", "Self-hosted GPU runner for the model tests",
     "Labels gpu and cuda12", "Model tests moved to a self-hosted runner with an L4 card; jobs "
     "select it with runs-on: [self-hosted, gpu].", "runs-on: [self-hosted, gpu]",
     "infra/runners/gpu-runner.tf", "ci,gpu",
     "machine learning checks now execute on our own graphics hardware",
     "runs-on: [self-hosted, gpu]", "self-hosted gpu runner"),
    ("deep-links", "mobile", "feature", "2026-11-04", "Universal links open product pages in the app",
     "apple-app-site-association served from the CDN", "Links to /p/<sku> open the app when "
     "installed; the association file is served with the right content type.",
     "/.well-known/apple-app-site-association", "mobile/ios/App/Associated.entitlements", "links,ios",
     "tapping a shared item url now lands inside the native application",
     "apple-app-site-association", "universal links app"),
    ("refund-flow", "billing", "feature", "2026-11-10", "Partial refunds from the admin panel",
     "Refund amount capped at the captured total", "Support can refund part of an order; the "
     "amount is validated against captured minus already refunded.",
     "RefundExceedsCaptured raised above the remaining amount", "billing/refunds/service.py",
     "refunds,admin", "helpdesk staff can now give back some of the money for a purchase",
     "RefundExceedsCaptured", "partial refunds admin"),
    ("healthcheck", "shop-api", "change", "2026-11-16", "Health endpoint checks Redis and Postgres",
     "/healthz returns 503 when a dependency is down", "The load balancer kept routing to "
     "instances whose database was unreachable.", "GET /healthz -> 503 {\"postgres\": \"down\"}",
     "src/api/health.py", "health,monitoring",
     "the traffic distributor kept sending users to broken servers",
     "/healthz", "health endpoint redis postgres"),
    ("mobile-ci-sign", "mobile", "change", "2026-11-18", "Release builds signed in CI with fastlane match",
     "Certificates from the private repo", "Signing moved from a laptop to CI; fastlane match "
     "pulls the certificates read-only.", "fastlane match appstore --readonly",
     "mobile/fastlane/Fastfile", "release,signing",
     "shipping store packages no longer depends on one developer's machine",
     "fastlane match appstore --readonly", "fastlane signing ci"),
    ("pg-upgrade", "infra", "change", "2026-11-19", "Postgres 16 upgrade of the primary cluster",
     "pg_upgrade --link, 4 minutes of downtime", "Upgraded the primary from 15 to 16 with "
     "pg_upgrade in link mode during the maintenance window.", "pg_upgrade --link -b /usr/lib/postgresql/15/bin",
     "infra/runbooks/pg16-upgrade.md", "postgres,upgrade",
     "moving the main relational store to its newest major release",
     "pg16-upgrade.md", "postgres 16 upgrade"),
]

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
