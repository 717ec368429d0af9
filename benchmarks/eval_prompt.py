"""Per-prompt injection on the eval_corpus: how often a prompt's needed record is injected,
how often an injection is irrelevant, and how often everyday prompts get nothing.

Each question of the corpus is sent as a prompt of its answer's project through the same
function the UserPromptSubmit hook calls (``context.prompt.render``, a fresh session each
time), then the corpus's unrelated questions and everyday coding prompts. Usage:
``python benchmarks/eval_prompt.py``.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from benchmarks import eval_corpus as corpus  # noqa: E402
from benchmarks.eval_recall import plant  # noqa: E402
from recall_plugin.context import open_readonly  # noqa: E402
from recall_plugin.context.prompt import render  # noqa: E402

NOW = dt.datetime.fromisoformat(corpus.NOW.replace("Z", "+00:00"))
PROJECT = {rec.key: rec.project for rec in corpus.records()}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        os.environ.update(CLAUDE_RECALL_DATA_DIR=str(data_dir), HOME=tmp)
        writer, refs = plant(data_dir)
        writer.close()
        conn = open_readonly(str(data_dir))
        assert conn is not None
        keys = {int(ref.split(":")[1]): key for ref, key in refs.items() if ref.startswith("obs:")}
        rows: dict[str, list[tuple[bool, int, int]]] = {}
        for q in corpus.questions():
            project = q.project or PROJECT[q.targets[0]]
            _, ids = render(conn, project, q.text, set(), 3, 800, NOW)
            got = [keys[i] for i in ids]
            needed = sum(t in got for t in q.targets) / len(q.targets) >= 0.5
            irrelevant = sum(k not in q.targets for k in got)
            rows.setdefault(q.kind, []).append((needed, len(got), irrelevant))
            rows.setdefault("all questions", []).append((needed, len(got), irrelevant))
        print(f"{'prompts':<16}{'n':>4}{'needed injected':>17}{'any injected':>14}{'irrelevant lines':>18}")
        for kind, items in rows.items():
            lines = sum(n for _, n, _ in items)
            bad = sum(b for _, _, b in items)
            print(f"{kind:<16}{len(items):>4}{sum(x for x, _, _ in items) / len(items):>17.2f}"
                  f"{sum(n > 0 for _, n, _ in items) / len(items):>14.2f}"
                  f"{(bad / lines if lines else 0.0):>12.2f} of {lines:>3}")
        for name, prompts in (("unrelated", corpus.UNRELATED), ("everyday", corpus.GENERIC)):
            hit = sum(bool(render(conn, project, text, set(), 3, 800, NOW)[1])
                      for text in prompts for project in corpus.PROJECTS)
            total = len(prompts) * len(corpus.PROJECTS)
            print(f"{name:<16}{total:>4}{'-':>17}{hit / total:>14.2f}   (every line irrelevant)")


if __name__ == "__main__":
    main()
