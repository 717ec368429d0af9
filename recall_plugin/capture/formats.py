"""The secret formats ``redact`` knows, as data: token prefixes, header names, secret-like names.

Every entry comes from the issuer's public documentation of its token format (prefix, alphabet,
length). Tokens are recognised by a literal prefix, so a text is scanned with ``str.find`` (C
speed, no regular expressions on the hook hot path) and only the few hits are examined.

``PREFIXES`` rows: (prefix, marker kind, alphabet of the rest, minimum length of the rest).
A hit also needs a non-alphanumeric character (or the start) before the prefix, and a rest
that is not just lowercase words and numbers (``sk-learn-compatible``, ``sk-2024-roadmap``).
"""

from __future__ import annotations

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
W = _ALNUM + "_"          # word characters
WD = W + "-"              # word characters and dash (base64url)
WDD = WD + "."            # ... and dot
B64 = _ALNUM + "+/="      # base64
HEX = "0123456789abcdef"
HEXU = HEX + "ABCDEF"
UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

PREFIXES: tuple[tuple[str, str, str, int], ...] = (
    # AI providers
    ("sk-ant-", "anthropic-key", WD, 20),
    ("sk-or-", "openrouter-key", WD, 20),
    ("sk-", "openai-key", WD, 20),                # also sk-proj-, sk-svcacct-, sk-admin-
    ("gsk_", "groq-key", W, 40),
    ("r8_", "replicate-token", W, 30),
    ("pplx-", "perplexity-key", W, 40),
    ("xai-", "xai-key", W, 60),
    ("hf_", "huggingface-token", W, 30),
    ("api_org_", "huggingface-token", W, 30),
    ("lsv2_pt_", "langsmith-key", W, 30),
    ("lsv2_sk_", "langsmith-key", W, 30),
    # Google, AWS, Azure, Alibaba
    ("AIza", "google-api-key", WD, 35),
    ("GOCSPX-", "google-oauth-secret", WD, 24),
    ("ya29.", "google-oauth-token", WDD, 30),
    ("AKIA", "aws-access-key-id", UPPER_ALNUM, 16),
    ("ASIA", "aws-access-key-id", UPPER_ALNUM, 16),
    ("ABIA", "aws-access-key-id", UPPER_ALNUM, 16),
    ("ACCA", "aws-access-key-id", UPPER_ALNUM, 16),
    ("LTAI", "alibaba-access-key-id", _ALNUM, 12),
    # Source hosting and CI
    ("ghp_", "github-token", _ALNUM, 30),
    ("gho_", "github-token", _ALNUM, 30),
    ("ghu_", "github-token", _ALNUM, 30),
    ("ghs_", "github-token", _ALNUM, 30),
    ("ghr_", "github-token", _ALNUM, 30),
    ("github_pat_", "github-token", W, 22),
    ("glpat-", "gitlab-token", WD, 20),
    ("gldt-", "gitlab-token", WD, 20),
    ("glrt-", "gitlab-token", WD, 20),
    ("glptt-", "gitlab-token", WD, 20),
    ("glft-", "gitlab-token", WD, 20),
    ("glsoat-", "gitlab-token", WD, 20),
    ("glcbt-", "gitlab-token", WD, 20),
    ("glimt-", "gitlab-token", WD, 20),
    ("gloas-", "gitlab-token", WD, 20),
    ("glagent-", "gitlab-token", WD, 20),
    ("glffct-", "gitlab-token", WD, 20),
    ("GR1348941", "gitlab-token", WD, 20),
    ("bkua_", "buildkite-token", W, 30),
    ("CCIPAT_", "circleci-token", W, 30),
    ("dckr_pat_", "docker-token", WD, 20),
    ("dckr_oat_", "docker-token", WD, 20),
    ("ATATT3", "atlassian-token", WDD + "=", 60),
    ("ATCTT3", "atlassian-token", WDD + "=", 60),
    ("AKCp", "artifactory-key", _ALNUM, 60),
    ("rubygems_", "rubygems-key", HEX, 48),
    ("CLOJARS_", "clojars-token", _ALNUM, 40),
    # Chat
    ("xoxb-", "slack-token", WD, 10),
    ("xoxp-", "slack-token", WD, 10),
    ("xoxa-", "slack-token", WD, 10),
    ("xoxo-", "slack-token", WD, 10),
    ("xoxs-", "slack-token", WD, 10),
    ("xoxr-", "slack-token", WD, 10),
    ("xoxe-", "slack-token", WD, 10),
    ("xoxe.xox", "slack-token", WD, 10),
    ("xapp-", "slack-token", WD, 10),
    # Payments, e-mail, messaging
    ("sk_live_", "stripe-key", _ALNUM, 20),
    ("rk_live_", "stripe-key", _ALNUM, 20),
    ("sk_test_", "stripe-key", _ALNUM, 20),
    ("rk_test_", "stripe-key", _ALNUM, 20),
    ("whsec_", "stripe-webhook-secret", _ALNUM, 24),
    ("SG.", "sendgrid-key", WDD, 60),
    ("key-", "mailgun-key", HEX, 32),
    ("SK", "twilio-key", HEX, 32),
    ("sq0atp-", "square-token", WD, 22),
    ("sq0csp-", "square-token", WD, 40),
    ("EAAA", "square-token", WD, 60),
    ("shippo_live_", "shippo-token", HEX, 40),
    ("FLWSECK-", "flutterwave-key", HEX + "-X", 32),
    ("FLWSECK_TEST-", "flutterwave-key", HEX + "-X", 32),
    ("duffel_live_", "duffel-token", WD, 40),
    ("EZAK", "easypost-key", _ALNUM, 50),
    # Package registries
    ("npm_", "npm-token", _ALNUM, 36),
    ("pypi-AgEIcHlwaS5vcmc", "pypi-token", WD, 50),
    ("pypi-AgENdGVzdC5weXBpLm9yZw", "pypi-token", WD, 50),
    # Cloud platforms and SaaS
    ("dop_v1_", "digitalocean-token", HEX, 64),
    ("doo_v1_", "digitalocean-token", HEX, 64),
    ("dor_v1_", "digitalocean-token", HEX, 64),
    ("shpat_", "shopify-token", HEXU, 32),
    ("shpss_", "shopify-token", HEXU, 32),
    ("shpca_", "shopify-token", HEXU, 32),
    ("shppa_", "shopify-token", HEXU, 32),
    ("dapi", "databricks-token", HEX + "-", 32),
    ("dp.pt.", "doppler-token", _ALNUM, 40),
    ("dp.st.", "doppler-token", W + ".", 40),
    ("dp.sa.", "doppler-token", _ALNUM, 40),
    ("dp.ct.", "doppler-token", _ALNUM, 40),
    ("dp.scim.", "doppler-token", _ALNUM, 40),
    ("dp.audit.", "doppler-token", _ALNUM, 40),
    ("lin_api_", "linear-key", _ALNUM, 40),
    ("lin_oauth_", "linear-key", _ALNUM, 40),
    ("hvs.", "vault-token", WD, 24),
    ("hvb.", "vault-token", WD, 24),
    ("hvr.", "vault-token", WD, 24),
    ("HRKU-", "heroku-key", WD, 40),
    ("NRAK-", "newrelic-key", UPPER_ALNUM, 27),
    ("NRAA-", "newrelic-key", HEX, 27),
    ("NRII-", "newrelic-key", WD, 32),
    ("NRIQ-", "newrelic-key", WD, 32),
    ("NRJS-", "newrelic-key", HEX, 19),
    ("sntrys_", "sentry-token", WDD + "=+/", 40),
    ("sntryu_", "sentry-token", HEX, 64),
    ("PMAK-", "postman-key", HEX + "-", 50),
    ("pul-", "pulumi-token", HEX, 40),
    ("glc_", "grafana-token", B64, 32),
    ("glsa_", "grafana-token", W, 32),
    ("sbp_", "supabase-token", HEX, 40),
    ("sb_secret_", "supabase-key", WD, 20),
    ("pscale_tkn_", "planetscale-token", WD, 32),
    ("pscale_pw_", "planetscale-token", WD, 32),
    ("pscale_oauth_", "planetscale-token", WD, 32),
    ("ntn_", "notion-token", _ALNUM, 40),
    ("secret_", "notion-token", _ALNUM, 43),
    ("nfp_", "netlify-token", _ALNUM, 36),
    ("rnd_", "render-key", _ALNUM, 32),
    ("fo1_", "flyio-token", WD, 40),
    ("tskey-", "tailscale-key", WD, 30),
    ("ops_eyJ", "onepassword-token", WDD, 100),
    ("AGE-SECRET-KEY-1", "age-secret-key", UPPER_ALNUM, 58),
    ("CFPAT-", "contentful-token", WD, 43),
    ("pnu_", "prefect-key", _ALNUM, 36),
    ("rdme_", "readme-key", HEX, 70),
    ("tfp_", "typeform-token", WDD, 40),
    ("ico-", "infracost-key", _ALNUM, 32),
    ("v1.0-", "cloudflare-origin-key", HEX + "-", 150),
)

# Tokens found by a marker inside them rather than a prefix (see redact._infix_spans).
WEBHOOKS = (
    ("hooks.slack.com/services/", "slack-token"),
    ("discord.com/api/webhooks/", "discord-webhook"),
    ("discordapp.com/api/webhooks/", "discord-webhook"),
    ("webhook.office.com/webhookb2/", "teams-webhook"),
)
JWT_START = "eyJ"  # base64url of '{"': every JWT header and payload starts so

# Authorization schemes kept in front of the redacted credential.
AUTH_SCHEMES = ("bearer", "basic", "token", "digest", "bot", "ssws", "apikey", "negotiate",
                "ntlm", "otp", "hawk", "dpop")

# Secret-like names (compacted: lowercase, no _ - . separators).
# STRONG: any value that is not code or a placeholder is a secret.
STRONG_SUFFIXES = (
    ("password", "password-field"), ("passwd", "password-field"),
    ("passphrase", "password-field"), ("secretaccesskey", "aws-secret-key"),
    ("apikey", "secret-field"), ("apisecret", "secret-field"), ("apitoken", "secret-field"),
    ("accesskey", "secret-field"), ("secretkey", "secret-field"), ("privatekey", "secret-field"),
    ("signingkey", "secret-field"), ("encryptionkey", "secret-field"),
    ("masterkey", "secret-field"), ("accountkey", "secret-field"), ("clientkey", "secret-field"),
    ("sharedaccesskey", "secret-field"), ("authkey", "secret-field"),
    ("keydata", "secret-field"), ("clientsecret", "secret-field"),
    ("secret", "secret-field"), ("secrets", "secret-field"),
    ("authtoken", "secret-field"), ("accesstoken", "secret-field"),
    ("refreshtoken", "secret-field"), ("idtoken", "secret-field"),
    ("sessiontoken", "secret-field"), ("bearertoken", "secret-field"),
    ("privatetoken", "secret-field"), ("identitytoken", "secret-field"),
    ("registrytoken", "secret-field"), ("vaulttoken", "secret-field"),
    ("csrftoken", "secret-field"), ("xsrftoken", "secret-field"),
    ("dsn", "connection-string"), ("connectionstring", "connection-string"),
    ("connstr", "connection-string"), ("connstring", "connection-string"),
    ("cookie", "cookie"), ("cookies", "cookie"),
    ("authorization", "authorization"),
)
# WEAK: the value must also look like a secret (long enough, digits or mixed case, entropy).
WEAK_WORDS = (
    ("token", "secret-field"), ("key", "secret-field"), ("auth", "secret-field"),
    ("credential", "secret-field"), ("credentials", "secret-field"), ("cred", "secret-field"),
    ("creds", "secret-field"), ("session", "secret-field"), ("jwt", "secret-field"),
    ("bearer", "secret-field"), ("pat", "secret-field"), ("sk", "secret-field"),
    ("sig", "secret-field"), ("salt", "secret-field"), ("hmac", "secret-field"),
    ("pass", "password-field"), ("pwd", "password-field"), ("pw", "password-field"),
    ("pin", "pin"), ("pincode", "pin"), ("otp", "secret-field"), ("seed", "secret-field"),
    ("mnemonic", "secret-field"), ("private", "secret-field"), ("signature", "secret-field"),
)
# Names that end like a secret but name something public or harmless.
BENIGN_SUFFIXES = ("publickey", "pubkey", "sortkey", "primarykey", "foreignkey", "partitionkey",
                   "cachekey", "hotkey", "idempotencykey", "routingkey", "lookupkey", "keyid",
                   "dictkey", "mapkey", "groupkey", "uniquekey", "rowkey", "hashkey", "rangekey",
                   "shortcutkey", "storagekey", "localstoragekey", "querykey", "i18nkey",
                   "translationkey", "registrykey", "sshkey", "nextkey", "prevkey", "lastkey",
                   "firstkey", "parentkey", "childkey", "itemkey", "reactkey", "dedupkey",
                   "maxtoken", "mintoken", "nexttoken", "pagetoken", "nextpagetoken",
                   "continuationtoken", "cancellationtoken", "synctoken", "tokentype",
                   "csrfcookie", "tokenizer", "passthrough", "bypass", "compass", "spin",
                   "checkpin", "subpass", "renderpass", "firstpass", "secondpass", "onepass",
                   "publicjwt", "sessionid", "sessionname", "pinned")
# Last words that make a name metadata about a secret, not the secret itself.
META_WORDS = ("name", "names", "ref", "id", "ids", "arn", "path", "file", "dir", "type",
              "version", "provider", "manager", "store", "count", "len", "length", "env", "url",
              "uri", "field", "fields", "header", "policy", "prefix", "format", "size", "hint",
              "label", "kind", "mode", "help", "description", "desc", "title", "enabled",
              "required", "expiry", "expires", "expiresat", "ttl", "timeout", "rotation",
              "location", "source", "sources", "list", "stdin", "command", "cmd", "var")

# Reader commands: their output is a file's content (``cat .env`` is redacted as the file is).
READERS = ("cat", "head", "tail", "less", "more", "bat", "batcat", "type", "nl", "tac", "view",
           "sed", "awk", "grep", "rg", "strings", "xxd", "od", "base64", "cp", "source")
ENV_FILE_NAMES = (".env", ".envrc", ".flaskenv")
