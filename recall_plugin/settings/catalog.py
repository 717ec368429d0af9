"""Every setting of claude-recall, declared once: name, type, default, help.

This table drives the settings file, the environment overrides, ``claude-recall settings``,
the viewer's settings panel and the README's settings table (``claude-recall settings
--markdown`` prints it; a test keeps the README in step).

``cli_only=True`` marks a setting that names a program to run, a host (or port, scheme) to
send data to, or files to load: the viewer shows it read-only and refuses to change it, so
whoever reaches the viewer can never redirect prompts and keys or run a program as the user.
"""

from __future__ import annotations

from ..vocab import PROVIDER_NAMES
from .model import Setting

DEFAULT_SKIP_TOOLS = (
    "TodoWrite,TodoRead,ToolSearch,ListAgents,ScheduleWakeup,ListMcpResourcesTool,"
    "ReadMcpResourceTool,EnterPlanMode,ExitPlanMode,mcp__*claude-recall*,mcp__plugin_recall_recall__*"
)


# (context size, max output tokens) by default: Claude's 200k window; Gemini 2.5's 1M, whose
# thinking counts as output; a conservative 32k for OpenRouter and local OpenAI-compatible servers
WINDOW_DEFAULTS = {"claude": (200_000, 4096), "gemini": (1_048_576, 8192), "openrouter": (32_768, 4096)}


def _window(provider: str, label: str) -> tuple[Setting, ...]:
    prefix = f"CLAUDE_RECALL_{provider.upper()}"
    context, output = WINDOW_DEFAULTS[provider]
    return (
        Setting(f"{prefix}_MAX_CONTEXT_MESSAGES", "int", 14, minimum=2, group=provider,
                help=f"Max messages of the session's conversation history sent to {label}."),
        Setting(f"{prefix}_MAX_TOKENS", "int", 100_000, minimum=1000, group=provider,
                help=f"Token budget safety limit for one {label} request (estimated: ~4 chars a "
                     "token of prose, ~3 of code)."),
        Setting(f"{prefix}_CONTEXT_TOKENS", "int", context, minimum=1024, group=provider,
                help=f"Context size of the {label} model in tokens: a request never asks for "
                     "more than this less the output tokens (set it to a local server's context)."),
        Setting(f"{prefix}_MAX_OUTPUT_TOKENS", "int", output, minimum=256, group=provider,
                help=f"Most tokens one {label} reply may have; a reply cut off there is not kept."),
        Setting(f"{prefix}_REQUEST_TIMEOUT_S", "int", 0, minimum=0, group=provider,
                help=f"Seconds one {label} call may take; 0: CLAUDE_RECALL_REQUEST_TIMEOUT_S, or "
                     "CLAUDE_RECALL_LOCAL_TIMEOUT_S for a server on this machine."),
    )


GENERAL = (
    Setting("CLAUDE_RECALL_DATA_DIR", "str", "~/.claude-recall", env_only=True,
            help="Where memory, queue, logs and settings.json live (environment only)."),
    Setting("CLAUDE_RECALL_LOG_LEVEL", "choice", "info",
            choices=("debug", "info", "warning", "error"),
            help="Least severe level written to logs/recall.log in the data dir."),
    Setting("CLAUDE_RECALL_ENV_INSTALLER", "choice", "auto", choices=("auto", "pip"),
            help="How the plugin builds its environment: auto installs uv from the package index "
                 "and uses it (several times faster, wheels shared across plugin versions), "
                 "falling back to pip; pip uses pip only."),
)

CAPTURE = (
    Setting("CLAUDE_RECALL_MAX_FIELD_CHARS", "int", 4000, minimum=200, group="capture",
            help="Tool inputs/outputs longer than this keep head and tail with an elision marker."),
    Setting("CLAUDE_RECALL_MAX_PAYLOAD_BYTES", "int", 8_000_000, minimum=10_000, group="capture",
            help="Hook payloads larger than this are recorded as metadata only."),
    Setting("CLAUDE_RECALL_SKIP_TOOLS", "list", DEFAULT_SKIP_TOOLS, group="capture",
            help="Tools never captured (comma-separated names or globs)."),
    Setting("CLAUDE_RECALL_EXCLUDED_PROJECTS", "list", "", group="capture",
            help="Projects never captured: globs on display name, folder, path or project id."),
    Setting("CLAUDE_RECALL_PROJECT", "str", "", group="capture",
            help="Put every session in this project: an id from `claude-recall projects`, "
                 "or a name (the named project name:<name>). Default: the directory's own."),
)

CLAUDE = (
    Setting("CLAUDE_RECALL_CLAUDE_API_KEY", "secret", "", aliases=("ANTHROPIC_API_KEY",),
            group="claude", help="Anthropic API key (or ANTHROPIC_API_KEY)."),
    Setting("CLAUDE_RECALL_CLAUDE_MODEL", "str", "claude-haiku-4-5", group="claude",
            help="Claude model used for extraction."),
    Setting("CLAUDE_RECALL_CLAUDE_BASE_URL", "str", "", aliases=("ANTHROPIC_BASE_URL",),
            group="claude", cli_only=True,
            help="Anthropic API base URL (or ANTHROPIC_BASE_URL); empty: SDK default."),
    Setting("CLAUDE_RECALL_CLAUDE_CLI", "str", "auto", group="claude", cli_only=True,
            help="With no API key: `auto` runs your own `claude` CLI (print mode, no tools), "
                 "`off` never does, or a path to the binary."),
    *_window("claude", "Claude"),
)

GEMINI = (
    Setting("CLAUDE_RECALL_GEMINI_API_KEY", "secret", "", aliases=("GEMINI_API_KEY",),
            group="gemini", help="Gemini API key (or GEMINI_API_KEY)."),
    Setting("CLAUDE_RECALL_GEMINI_MODEL", "str", "gemini-2.5-flash", group="gemini",
            help="Gemini model used for extraction."),
    Setting("CLAUDE_RECALL_GEMINI_BASE_URL", "str",
            "https://generativelanguage.googleapis.com/v1beta", group="gemini", cli_only=True,
            help="Gemini REST API base URL."),
    Setting("CLAUDE_RECALL_GEMINI_RPM", "int", 10, minimum=1, group="gemini",
            help="Requests per minute allowed to Gemini (client-side limiter)."),
    *_window("gemini", "Gemini"),
)

OPENROUTER = (
    Setting("CLAUDE_RECALL_OPENROUTER_API_KEY", "secret", "", aliases=("OPENROUTER_API_KEY",),
            group="openrouter", help="Your OpenRouter API key (or OPENROUTER_API_KEY)."),
    Setting("CLAUDE_RECALL_OPENROUTER_MODEL", "str", "xiaomi/mimo-v2-flash:free",
            group="openrouter", help="OpenRouter model identifier."),
    *_window("openrouter", "OpenRouter"),
    Setting("CLAUDE_RECALL_OPENROUTER_SITE_URL", "str", "", group="openrouter",
            help="Optional: URL for analytics attribution (HTTP-Referer)."),
    Setting("CLAUDE_RECALL_OPENROUTER_APP_NAME", "str", "claude-recall", group="openrouter",
            help="Optional: app name for analytics (X-Title)."),
    Setting("CLAUDE_RECALL_OPENROUTER_BASE_URL", "str", "https://openrouter.ai/api/v1",
            group="openrouter", cli_only=True,
            help="OpenAI-compatible base URL: point it at Ollama, LM Studio or vLLM to run locally."),
)

PROVIDER = (
    Setting("CLAUDE_RECALL_PROVIDER", "choice", "claude", choices=PROVIDER_NAMES, group="provider",
            help="AI provider for observation extraction."),
    Setting("CLAUDE_RECALL_FALLBACK_PROVIDER", "choice", "claude", choices=(*PROVIDER_NAMES, "none"),
            group="provider", help="Provider used when the chosen one is unavailable; none: off."),
    Setting("CLAUDE_RECALL_REQUEST_TIMEOUT_S", "int", 60, minimum=1, group="provider",
            help="Seconds one provider call may take before it counts as a timeout."),
    Setting("CLAUDE_RECALL_LOCAL_TIMEOUT_S", "int", 900, minimum=1, group="provider",
            help="The same for a server on this machine (localhost, 127.0.0.1): local models "
                 "can take minutes a call."),
)

EXTRACT = (
    Setting("CLAUDE_RECALL_AUTO_EXTRACT", "bool", True, group="extract",
            help="Hooks start the extractor in the background after capturing (off: run "
                 "`claude-recall extract` yourself)."),
    Setting("CLAUDE_RECALL_EXTRACTOR_IDLE_S", "int", 10, minimum=0, group="extract",
            help="Seconds the background extractor waits on an empty queue before it exits."),
    Setting("CLAUDE_RECALL_BATCH_MAX_EVENTS", "int", 25, minimum=1, group="extract",
            help="Most captured events sent to the provider in one turn."),
    Setting("CLAUDE_RECALL_BATCH_MAX_CHARS", "int", 24_000, minimum=1000, group="extract",
            help="Most characters of captured events sent in one turn."),
    Setting("CLAUDE_RECALL_HISTORY_DIGESTS", "bool", False, group="extract",
            help="Resend earlier turns of a session as one line per event: fewer tokens, but the "
                 "last turn changes form, so prompt caches cover less; off: every request extends "
                 "the previous one byte for byte (caches cover the whole history)."),
    Setting("CLAUDE_RECALL_BATCH_WAIT_S", "int", 60, minimum=0, group="extract",
            help="A session's events are sent once Claude finishes its turn, a batch is full, "
                 "or the newest event is this old."),
    Setting("CLAUDE_RECALL_RETRY_BASE_S", "int", 30, minimum=0, group="extract",
            help="First retry delay after a provider error; doubles per attempt (max 1 hour), "
                 "never shorter than the provider's Retry-After."),
    Setting("CLAUDE_RECALL_MAX_ATTEMPTS", "int", 6, minimum=1, group="extract",
            help="Failed attempts before a batch is marked dead (`claude-recall retry` revives it)."),
    Setting("CLAUDE_RECALL_DAILY_TOKEN_BUDGET", "int", 0, minimum=0, group="extract",
            help="Tokens per UTC day all extraction may spend; 0: no limit."),
    Setting("CLAUDE_RECALL_SESSION_TOKEN_BUDGET", "int", 0, minimum=0, group="extract",
            help="Tokens one Claude Code session's extraction may spend; 0: no limit."),
)

INDEX = (
    Setting("CLAUDE_RECALL_INDEX_MODE", "choice", "local", choices=("local", "server", "cloud", "off"),
            group="index", cli_only=True,
            help="Vector index: a Chroma folder in the data dir, a Chroma server, "
                 "Chroma Cloud, or off (full-text search only)."),
    Setting("CLAUDE_RECALL_CHROMA_HOST", "str", "127.0.0.1", group="index", cli_only=True,
            help="Chroma server host (server mode)."),
    Setting("CLAUDE_RECALL_CHROMA_PORT", "int", 8000, minimum=1, group="index", cli_only=True,
            help="Chroma server port (server mode)."),
    Setting("CLAUDE_RECALL_CHROMA_SSL", "bool", False, group="index", cli_only=True,
            help="Use HTTPS for the Chroma server."),
    Setting("CLAUDE_RECALL_CHROMA_TENANT", "str", "", group="index", help="Chroma Cloud tenant."),
    Setting("CLAUDE_RECALL_CHROMA_DATABASE", "str", "", group="index", help="Chroma Cloud database."),
    Setting("CLAUDE_RECALL_CHROMA_API_KEY", "secret", "", aliases=("CHROMA_API_KEY",), group="index",
            help="Chroma Cloud API key (or CHROMA_API_KEY)."),
    Setting("CLAUDE_RECALL_CHROMA_COLLECTION", "str", "claude_recall", group="index",
            help="Chroma collection name (share one server between teams with different names)."),
    Setting("CLAUDE_RECALL_EMBEDDING_MODEL_DIR", "str", "", group="index", cli_only=True,
            help="Folder with an ONNX sentence-embedding model (model.onnx, tokenizer.json); "
                 "empty: the model the install ships."),
)

CONTEXT = (
    Setting("CLAUDE_RECALL_CONTEXT_ENABLED", "bool", True, group="context",
            help="Inject a memory index at SessionStart (set CLAUDE_RECALL_NO_CONTEXT=1 in the "
                 "environment to skip it for one session)."),
    Setting("CLAUDE_RECALL_CONTEXT_OBSERVATIONS", "int", 20, minimum=0, group="context",
            help="Most observations listed in the injected index."),
    Setting("CLAUDE_RECALL_CONTEXT_SUMMARIES", "int", 1, minimum=0, group="context",
            help="Most recent session summaries in the injected index."),
    Setting("CLAUDE_RECALL_CONTEXT_MAX_CHARS", "int", 4000, minimum=200, group="context",
            help="Character budget of the injected index (Claude Code previews past 10,000)."),
    Setting("CLAUDE_RECALL_CONTEXT_EXCLUDED_PROJECTS", "list", "", group="context",
            help="Projects that get no injected memory (globs on name or path)."),
    Setting("CLAUDE_RECALL_MCP_CROSS_PROJECT_READ", "bool", False, group="context",
            help="Let the MCP tools read other projects' memory (a `project` argument; ids of other "
                 "projects). Writing and forgetting never cross projects."),
    Setting("CLAUDE_RECALL_PROMPT_CONTEXT", "bool", True, group="context",
            help="At each prompt, inject the few recorded observations the prompt is clearly "
                 "about that the session has not been given yet (most prompts add nothing)."),
    Setting("CLAUDE_RECALL_PROMPT_CONTEXT_ITEMS", "int", 3, minimum=0, group="context",
            help="Most observations injected at one prompt."),
    Setting("CLAUDE_RECALL_PROMPT_CONTEXT_MAX_CHARS", "int", 800, minimum=200, group="context",
            help="Character budget of what is injected at one prompt."),
)

SETTINGS: tuple[Setting, ...] = (*GENERAL, *CAPTURE, *PROVIDER, *EXTRACT, *CLAUDE, *GEMINI,
                                 *OPENROUTER, *INDEX, *CONTEXT)
BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
