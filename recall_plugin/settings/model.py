"""What one setting is, and how a raw value (from JSON, the environment or the CLI) is checked.

Plain classes on purpose: this module is imported by every hook, and ``dataclasses`` alone
costs ~14 ms to import.
"""

from __future__ import annotations

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")
KINDS = ("str", "secret", "int", "bool", "choice", "list")
MAX_VALUE_CHARS = 2048  # longest value any setting accepts (a path, a URL, a key, a list of globs)
MASK_PREFIX = "****"  # how a secret is shown; a value starting with it is a mask, never a key


class Setting:
    """One declared setting. Immutable after construction."""

    __slots__ = ("aliases", "choices", "cli_only", "default", "env_only", "group", "help", "kind",
                 "minimum", "name")
    name: str
    kind: str
    default: object
    help: str
    choices: tuple[str, ...]
    aliases: tuple[str, ...]
    group: str
    minimum: int | None
    env_only: bool
    cli_only: bool  # names a program to run, a host to send data to or files to load: set
    # from the CLI, settings.json or the environment, never from the viewer

    def __init__(self, name: str, kind: str, default: object, *, help: str,
                 choices: tuple[str, ...] = (), aliases: tuple[str, ...] = (),
                 group: str = "general", minimum: int | None = None,
                 env_only: bool = False, cli_only: bool = False) -> None:
        assert kind in KINDS, kind
        for attr, value in (("name", name), ("kind", kind), ("help", help),
                            ("choices", choices), ("aliases", aliases), ("group", group),
                            ("minimum", minimum), ("env_only", env_only),
                            ("cli_only", cli_only)):
            object.__setattr__(self, attr, value)
        object.__setattr__(self, "default", self.parse(default))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Setting is immutable")

    @property
    def secret(self) -> bool:
        return self.kind == "secret"

    @property
    def type_name(self) -> str:
        if self.kind == "choice":
            return ", ".join(self.choices)
        return {"str": "string", "secret": "secret", "int": "integer", "bool": "boolean",
                "list": "list"}[self.kind]

    def parse(self, raw: object) -> object:
        """The typed value of ``raw``; ``ValueError`` with a human message when it is wrong."""
        return _PARSERS[self.kind](self, raw)


def _parse_text(setting: Setting, raw: object) -> object:
    if isinstance(raw, str):
        return _bounded(raw).strip()
    raise ValueError(f"expected a string, got {_shown(raw)}")


def _parse_secret(setting: Setting, raw: object) -> object:
    value = _parse_text(setting, raw)
    if isinstance(value, str) and value.startswith(MASK_PREFIX):
        raise ValueError("is the masked form of the key (****...), not a key: paste the whole "
                         "key, or leave the field empty to keep the current one")
    return value


def _bounded(raw: str) -> str:
    if len(raw) > MAX_VALUE_CHARS:
        raise ValueError(f"is too long ({len(raw):,} characters; at most {MAX_VALUE_CHARS:,})")
    return raw


def _parse_int(setting: Setting, raw: object) -> object:
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        raise ValueError(f"expected a whole number, got {_shown(raw)}")
    text = _bounded(str(raw))
    try:
        value = int(text.strip().replace("_", ""))
    except ValueError:
        raise ValueError(f"expected a whole number, got {_shown(raw)}") from None
    if setting.minimum is not None and value < setting.minimum:
        raise ValueError(f"must be at least {setting.minimum}, got {value}")
    return value


def _parse_bool(setting: Setting, raw: object) -> object:
    if isinstance(raw, bool):
        return raw
    word = str(raw).strip().lower() if isinstance(raw, (str, int)) else None
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise ValueError(f"expected true or false, got {_shown(raw)}")


def _parse_choice(setting: Setting, raw: object) -> object:
    word = raw.strip().lower() if isinstance(raw, str) else None
    if word in setting.choices:
        return word
    raise ValueError(f"expected one of {', '.join(setting.choices)}, got {_shown(raw)}")


def _parse_list(setting: Setting, raw: object) -> object:
    if isinstance(raw, str):
        items = _bounded(raw).split(",")
    elif isinstance(raw, list) and all(isinstance(i, str) for i in raw):
        items = list(raw)
        _bounded(",".join(items))
    else:
        raise ValueError(f"expected a comma-separated string or a list of strings, got {_shown(raw)}")
    return tuple(i.strip() for i in items if i.strip())


def _shown(raw: object) -> str:
    text = repr(raw)
    return text if len(text) <= 60 else text[:57] + "..."


_PARSERS = {"str": _parse_text, "secret": _parse_secret, "int": _parse_int, "bool": _parse_bool,
            "choice": _parse_choice, "list": _parse_list}
