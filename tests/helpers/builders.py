"""Builders: settings written the way the CLI writes them, and model replies in the XML the
extractor asks for."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from recall_plugin import settings


def configure(data_dir: Path, **values: object) -> settings.Settings:
    """Store each setting (``PROVIDER=...`` or ``CLAUDE_RECALL_PROVIDER=...``); the settings now."""
    for name, value in values.items():
        full = name if name.startswith("CLAUDE_RECALL_") else f"CLAUDE_RECALL_{name}"
        settings.set_value(str(data_dir), full, value)
    return settings.load()


def observation_xml(title: str, files: Sequence[str] = (), summary: bool = False,
                    kind: str = "bugfix") -> str:
    """One observation of type ``kind`` modifying ``files``, and a session summary if asked."""
    modified = "".join(f"<file>{f}</file>" for f in files)
    text = (f"<observation><type>{kind}</type><title>{title}</title><subtitle>s</subtitle>"
            f"<facts><fact>retry backs off</fact></facts><narrative>n</narrative>"
            f"<concepts><concept>retry</concept></concepts><files_read></files_read>"
            f"<files_modified>{modified}</files_modified></observation>")
    if summary:
        text += ("<summary><request>make retry back off</request><investigated>retry.py"
                 "</investigated><learned>l</learned><completed>c</completed>"
                 "<next_steps>none</next_steps><notes></notes></summary>")
    return text
