"""Entry point the plugin's hooks run: ``python -S -E hooks/launch.py hook EVENT``.

Puts the plugin root first on ``sys.path`` (so the hooks run the plugin's own code with only
the standard library, even before the plugin environment exists) and hands over to
``recall_plugin``. Kept free of newer syntax so that an old ``python3`` reaches the version
check. Exit status: 0 after any hook (a hook never fails); TOO_OLD (before stdin is read) when
this interpreter is older than 3.10, so that ``hooks/run`` and ``bin/claude-recall`` try the
next one on PATH.
"""
import os
import sys

MINIMUM = (3, 10)
TOO_OLD = 3


def run():
    if sys.version_info < MINIMUM:
        sys.stderr.write("claude-recall needs Python >= 3.10; %s is %s\n"
                         % (sys.executable, sys.version.split()[0]))
        return TOO_OLD
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, root)
    args = sys.argv[1:]
    if args[:1] == ["_bootstrap"]:
        from recall_plugin.queue import wake_extractor
        from recall_plugin.runtime import bootstrap

        data = os.environ.get("CLAUDE_PLUGIN_DATA", "")
        return bootstrap.build(root, data, after=wake_extractor) if data else 0
    from recall_plugin.__main__ import main

    return main(args)


def last_resort_log(exc):
    """Log a failure that happened before the package's own logging could load."""
    try:
        import time

        root = os.environ.get("CLAUDE_RECALL_DATA_DIR") or os.path.expanduser("~/.claude-recall")
        folder = os.path.join(root, "logs")
        if not os.path.isdir(folder):
            os.umask(0o077)
            os.makedirs(folder, 0o700)
        line = "%s ERROR   [launcher pid=%d] %s: %s (argv %s)\n" % (
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), os.getpid(),
            type(exc).__name__, exc, sys.argv[1:])
        fd = os.open(os.path.join(folder, "recall.log"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("utf-8", "replace"))
        finally:
            os.close(fd)
    except Exception:
        pass


if __name__ == "__main__":
    try:
        code = run()
    except BaseException as exc:  # a hook launcher must never fail
        last_resort_log(exc)
        code = 0
    sys.exit(code if sys.argv[1:2] != ["hook"] or code == TOO_OLD else 0)
