"""The plugin environment's build, exactly as the plugin does it on the first SessionStart:
``python -m venv`` in a fresh folder, then the plugin and its dependencies installed with the
chosen installer (``auto``: uv from the package index, falling back to pip; ``pip``: pip only).
Prints seconds and megabytes on disk. Needs the package index (or a warm cache): run it by
hand, not in CI. Figures depend on the network and on the pip/uv caches: say which.

Usage: ``python benchmarks/bench_env.py [--installer auto|pip] [--keep]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recall_plugin.runtime import bootstrap  # noqa: E402


def size_mb(folder: Path) -> float:
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    return total / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--installer", choices=("auto", "pip"), default="auto")
    parser.add_argument("--keep", action="store_true", help="keep the environment")
    args = parser.parse_args(argv)
    os.environ["CLAUDE_RECALL_ENV_INSTALLER"] = args.installer
    folder = Path(tempfile.mkdtemp(prefix="bench-env-"))
    target = folder / "venv"
    try:
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "venv", str(target)], check=True)
        bootstrap._install(str(target / "bin" / "python"), str(ROOT))
        seconds = time.monotonic() - started
        print(f"installer={args.installer} build {seconds:.1f} s, {size_mb(target):.0f} MB "
              f"({target})")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
