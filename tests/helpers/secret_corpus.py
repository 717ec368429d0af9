"""Redaction corpora as data: one fake secret of every kind the redactor knows, and near misses.

Every secret here is generated (seeded, so runs are repeatable) to look like the real format;
none is a real credential. ``CANARY`` is the random part that must never be stored anywhere.
"""

from __future__ import annotations

import random

from recall_plugin.capture import formats

_RNG = random.Random(20261203)
_MIXED = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"


def rand(alphabet: str, size: int) -> str:
    """Random text that is never all letters or all digits (a real token's look)."""
    while True:
        value = "".join(_RNG.choice(alphabet) for _ in range(size))
        if not value.isalpha() and not value.isdigit():
            return value


def _alphabet(allowed: str) -> str:
    usable = "".join(c for c in _MIXED if c in allowed)
    return usable if len(usable) > 8 else "".join(c for c in allowed if c.isalnum())


# (kind id, text holding the secret, canary that must disappear)
CASES: list[tuple[str, str, str]] = []
_seen: set[str] = set()
for _prefix, _kind, _allowed, _minimum in formats.PREFIXES:
    _body = rand(_alphabet(_allowed), _minimum + 6)
    CASES.append((f"prefix:{_prefix}", f"the value {_prefix}{_body} was printed", _body))


def _add(kind: str, text: str, canary: str) -> None:
    CASES.append((kind, text, canary))


_c = rand(_MIXED, 24)
_add("jwt", f"got eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ{_c}In0.{rand(_MIXED, 30)} back", _c)
for _label in ("RSA PRIVATE KEY", "OPENSSH PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY",
               "PGP PRIVATE KEY BLOCK", "ENCRYPTED PRIVATE KEY"):
    _c = rand(_MIXED, 48)
    _add(f"pem:{_label}", f"-----BEGIN {_label}-----\nMIIEow{_c}\n{rand(_MIXED, 40)}\n"
         f"-----END {_label}-----\n", _c)
_c = rand(_MIXED, 40)
_add("putty", "PuTTY-User-Key-File-3: ssh-rsa\nPublic-Lines: 1\nAAAAB3Nza\nPrivate-Lines: 1\n"
     f"{_c}\nPrivate-MAC: abc123\n", _c)
_c = rand(_MIXED, 16)
_add("netrc", f"machine api.example.test login deploy password {_c}\n", _c)
_c = rand(_MIXED, 16)
_add("netrc-multiline", f"machine git.example.test\n  login me\n  password {_c}\n", _c)
_c = rand(_MIXED, 16)
_add("pgpass", f"db.internal:5432:app:app_user:{_c}\n", _c)
_c = rand(_MIXED, 24)
_add("docker-config", f'{{"auths": {{"registry.example.test": {{"auth": "{_c}=="}}}}}}', _c)
_c = rand(_MIXED, 40)
_add("kubeconfig-key-data", f"users:\n- name: admin\n  user:\n    client-key-data: {_c}\n", _c)
_c = rand(_MIXED, 30)
_add("kubeconfig-token", f"    token: {_c}\n", _c)
_c = rand(_MIXED, 40)
_add("aws-credentials", f"[default]\naws_access_key_id = AKIA{rand('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}\n"
     f"aws_secret_access_key = {_c}\n", _c)
_c = rand(_MIXED, 60)
_add("aws-session-token", f"aws_session_token = {_c}\n", _c)
_c = rand(_MIXED, 30)
_add("npmrc", f"//npm.registry.example/:_authToken={_c}\n", _c)
_c = rand(_MIXED, 20)
_add("pypirc", f"[pypi]\nusername = __token__\npassword = {_c}\n", _c)
_c = rand(_MIXED, 14)
_add("mysql-p", f"mysql -u root -p{_c} -h db app", _c)
_c = rand(_MIXED, 14)
_add("curl-u", f"curl -u admin:{_c} https://api.example.test/v1", _c)
_c = rand(_MIXED, 14)
_add("docker-login-p", f"docker login -u me -p {_c} registry.example.test", _c)
_c = rand(_MIXED, 14)
_add("flag-password", f"tool deploy --password {_c} --force", _c)
_c = rand(_MIXED, 20)
_add("flag-token", f"gh-like run --token {_c}", _c)
_c = rand(_MIXED, 20)
_add("flag-api-key", f"client --api-key={_c} --verbose", _c)
_c = rand(_MIXED, 14)
_add("sshpass", f"sshpass -p {_c} ssh me@host", _c)
_c = rand(_MIXED, 14)
_add("redis-cli", f"redis-cli -h cache -a {_c} ping", _c)
_c = rand(_MIXED, 32)
_add("header-bearer", f"curl -H 'Authorization: Bearer {_c}' https://x.test", _c)
_c = rand(_MIXED, 20)
_add("header-basic", f"Authorization: Basic {_c}=", _c)
_c = rand(_MIXED, 24)
_add("header-proxy", f"Proxy-Authorization: Basic {_c}", _c)
_c = rand(_MIXED, 24)
_add("header-set-cookie", f"Set-Cookie: sid={_c}; Path=/; HttpOnly", _c)
_c = rand(_MIXED, 24)
_add("header-cookie", f"Cookie: theme=dark; session={_c}", _c)
_c = rand(_MIXED, 24)
_add("header-x-auth-token", f"X-Auth-Token: {_c}", _c)
_c = rand(_MIXED, 24)
_add("header-x-api-key", f"curl -H \"X-API-Key: {_c}\" https://x.test", _c)
for _name in ("auth", "key", "cookie", "passphrase", "credentials", "session", "jwt", "bearer",
              "signing_key", "dsn", "connection_string", "pat", "api_token", "token", "secret",
              "password", "client_secret", "private_key", "access_token", "refresh_token"):
    _c = rand(_MIXED, 22)
    _add(f"json:{_name}", f'{{"{_name}": "{_c}", "region": "eu"}}', _c)
    _c = rand(_MIXED, 22)
    _add(f"yaml:{_name}", f"service:\n  {_name}: {_c}\n  port: 8080\n", _c)
_c = str(_RNG.randrange(10_000_000, 99_999_999))
_add("json:pin", f'{{"pin": "{_c}"}}', _c)
_c = rand(_MIXED, 20)
_add("toml", f'[database]\npassword = "{_c}"\n', _c)
_c = rand(_MIXED, 20)
_add("ini", f"[auth]\nsecret_key={_c}\n", _c)
_c = rand(_MIXED, 20)
_add("env", f"DB_PASSWORD={_c}\nDEBUG=true\n", _c)
_c = rand(_MIXED, 32)
_add("env-high-entropy-sk", f"STRIPE_SK={_c}\n", _c)
_c = rand(_MIXED, 20)
_add("php-define", f"define('DB_PASSWORD', '{_c}');", _c)
_c = rand(_MIXED, 20)
_add("php-array", f"'password' => '{_c}',", _c)
_c = rand(_MIXED, 16)
_add("xml", f"<password>{_c}</password>", _c)
_c = rand(_MIXED, 16)
_add("python-environ", f'os.environ["API_KEY"] = "{_c}"', _c)
_c = rand(_MIXED, 16)
_add("url-password", f"psql postgres://admin:{_c}@db.internal:5432/app", _c)
_c = rand(_MIXED, 16)
_add("mongodb-srv", f"mongodb+srv://svc:{_c}@cluster0.example.test/db", _c)
_c = rand(_MIXED, 16)
_add("ado-connection", f"Server=tcp:db.test,1433;User ID=sa;Password={_c};Encrypt=True", _c)
_c = rand(_MIXED, 44)
_add("azure-storage", f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={_c}==;", _c)
_c1, _c2 = rand(_MIXED, 30), rand(_MIXED, 30)
_add("wrapped-key", f"key printed:\nsk-ant-api03-{_c1}\n{_c2}\n", _c2)
_c = rand(_MIXED, 35)
_add("telegram", f"bot 123456789:AA{_c} started", _c)
_c = rand(_MIXED, 34)
_add("azure-client-secret", f"secret value abc8Q~{_c} created", _c)
_c = rand(_MIXED, 24)
_add("slack-webhook", f"post to https://hooks.slack.com/services/T0AB12CD/B0CD34EF/{_c}", _c)
_c = rand(_MIXED, 60)
_add("discord-webhook", f"https://discord.com/api/webhooks/123456789012345678/{_c}", _c)
_c = rand(_MIXED, 26)
_add("bearer-prose", f"then call it with bearer {_c} as the header", _c)

# Ordinary text that looks a little like a secret: at least 95 % must come back unchanged.
NEAR_MISSES: list[str] = [
    "import sk-learn-compatible-estimator-wrapper",
    "C:\\Users\\me\\private\\key.pem",
    "short ids: AKIAIOSFODNN7 ghp_short xoxb- AIzaShort",
    "[REDACTED:openai-key] and password: [REDACTED:password-field]",
    '<events project="api" session="7a11b000">, then session=3f2a9c1b ended',
    "commit 3f786850e387550fdab836ed7e6dc881de23001b (HEAD -> main)",
    "request id 123e4567-e89b-12d3-a456-426614174000 failed",
    "pip install sk-learn; see task-list and the risk-assessment-framework-2024 doc",
    "open docs/sk-2024-roadmap.md and sk-2025-planning-for-the-whole-team-notes.md",
    "Please enter your password to continue.",
    "password:\nnext line",
    "Forgot your password?  Reset the secret question.",
    '{"usage": {"input_tokens": 1200, "output_tokens": 34}}',
    "max_tokens: 4096",
    "MAX_TOKENS=4096",
    "tokens: 1200",
    "open /home/user/.ssh/id_rsa and /etc/secrets/api_key.txt",
    "The private key is stored in the vault; use bearer token auth.",
    "Bearer authentication is preferred over basic authentication here.",
    "sorted(items, key=lambda kv: kv[1])",
    "def login(password: str, api_key: str | None = None) -> bool:",
    "api_key = os.environ['OPENAI_API_KEY']",
    "token = tokenize(line)",
    "secret_key=secret_key,",
    "export API_TOKEN=$(vault read -field=token secret/api)",
    "password: ${DB_PASSWORD}",
    "PWD=/work/main\nOLDPWD=/root",
    "export PATH=/usr/local/bin:$PATH",
    "https://example.com/docs?page=2#intro and ssh://git@github.com:22/org/repo.git",
    "Authorization: Bearer $TOKEN",
    "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0b2tlbi1wdWJsaWMta2V5LWZvci10ZXN0cw me@host",
    "pk_live_51Hx is a publishable key and pk.eyJ1IjoiZXhhbXBsZSJ9 a public map token",
    "integrity sha512-Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg== in package-lock.json",
    'resolved "https://registry.example.test/lodash/-/lodash-4.17.21.tgz#679591c564c3bffaae"',
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "img: data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk",
    "const [token, setToken] = useState<string | null>(null);",
    "if (password.length < 8) throw new Error('password too short');",
    "class TokenBucket:  # rate limiter, capacity tokens per second",
    "the session: it ended when the user closed the tab",
    "key: value pairs are stored in the map",
    "primary_key: id\nforeign_key: user_id",
    "sort_key: created_at",
    "public_key: ssh-rsa AAAAB3NzaC1yc2E",
    "keyboard shortcut: press the key Enter",
    "credentials: include",
    "auth: required",
    "pin: true",
    "session_id: 7267460e-ff98-44a2-aeb0-0f41d2418737",
    "cache_key = f'user:{user_id}'",
    "for key, value in settings.items():",
    "token_count=1532 prompt_tokens=12",
    "PASSWORD_MIN_LENGTH=12",
    "SECRET_NAME=prod/db/credentials",
    "GIT_COMMIT=3f786850e387550fdab836ed7e6dc881de23001b",
    "docker run --user 1000:1000 image",
    "git push -u origin main",
    "mysql -p -u root app",
    "time 12:34:56 and 2026-12-03T11:53:23Z",
    "see ticket SK-1234 and AKIA prefix docs",
    "grep -rn 'password' src/ | wc -l",
    "The API key rotation policy: every 90 days.",
    "password-protected: yes",
    "task: compile the disk image and ask for review",
]
