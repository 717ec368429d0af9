"""Forgetting wins every race: a session forgotten while its batch is at the provider stays
forgotten when the reply arrives, and its queued events do not bring it back."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from helpers.builders import configure
from helpers.extraction import FakeModel, turn, use_openrouter
from helpers.fakes import Recorded, Response
from helpers.store import db

from recall_plugin import settings
from recall_plugin.extract.runner import Extractor
from recall_plugin.index import open_for_search

X = "f0f0f000-0000-4000-8000-00000000000a"
Y = "f0f0f000-0000-4000-8000-00000000000b"
TABLES = ("events", "prompts", "observations", "summaries", "turns")


class GatedModel(FakeModel):
    """Answers at once, except while ``gate`` is armed: then the request waits until released."""

    def __init__(self) -> None:
        super().__init__()
        self.armed = False
        self.arrived, self.release = threading.Event(), threading.Event()

    def default(self, request: Recorded) -> Response:
        if self.armed:
            self.armed = False
            self.arrived.set()
            assert self.release.wait(60), "the test never released the reply"
        return super().default(request)


def extract(data_dir: Path) -> None:
    extractor = Extractor(str(data_dir), drain=True)
    try:
        extractor.run(idle_s=0)
    finally:
        extractor.close()


def left_of(data_dir: Path, session: str) -> dict[str, int]:
    conn = db(data_dir)
    counts = {t: conn.execute(f"SELECT count(*) FROM {t} WHERE session_id = ?", (session,)).fetchone()[0]
              for t in TABLES}
    rowids = {t: {r[0] for r in conn.execute(f"SELECT id FROM {t}")} for t in ("observations", "summaries")}
    for table in ("observations", "summaries"):  # FTS holds exactly the rows that exist
        fts = {r[0] for r in conn.execute(f"SELECT id FROM {table}_fts_docsize")}
        counts[f"{table}_fts_orphans"] = len(fts - rowids[table])
    return counts


@pytest.mark.parametrize("index_mode", ["local", "off"])
def test_forget_during_a_provider_call_wins(data_dir: Path, tmp_path: Path, index_mode: str) -> None:
    project = tmp_path / "repo"
    (project / "src").mkdir(parents=True)
    configure(data_dir, INDEX_MODE=index_mode)
    index, why = open_for_search(settings.load(str(data_dir)))
    if index_mode == "local" and index is None:
        pytest.skip(f"no real vector index here: {why}")
    model = GatedModel()
    with model:
        use_openrouter(data_dir, model.url)
        turn(project, "x1", "make retry back off", session=X)
        turn(project, "y1", "keep this session", session=Y, first=10)
        extract(data_dir)  # X's first turn and Y are stored (and indexed)
        stored = db(data_dir).execute("SELECT count(*) FROM observations WHERE session_id = ?", (X,))
        assert stored.fetchone()[0] == 1

        turn(project, "x2", "now the uploader", session=X, first=20)
        model.armed = True
        worker = threading.Thread(target=extract, args=(data_dir,))
        worker.start()
        assert model.arrived.wait(60), "X's second batch never reached the provider"
        forgot = subprocess.run([sys.executable, "-m", "recall_plugin", "forget", "--session", X,
                                 "--reason", "race test", "--yes"], capture_output=True, text=True,
                                timeout=120)
        assert forgot.returncode == 0, forgot.stdout + forgot.stderr
        assert "verified: nothing of it remains" in forgot.stdout
        turn(project, "x3", "queued after the forget", session=X, first=30)  # still in the spool
        model.release.set()
        worker.join(120)
        assert not worker.is_alive()
        extract(data_dir)  # ingests the spool: X's queued events are dropped
        requests = len(model.requests)

    left = left_of(data_dir, X)
    assert left == dict.fromkeys(left, 0), left  # nothing of X: rows, FTS, turns, events
    assert requests == 3  # X1 + Y1 + the gated X2; the queued X3 was never sent
    conn = db(data_dir)
    assert conn.execute("SELECT count(*) FROM observations WHERE session_id = ?", (Y,)).fetchone()[0] == 1
    assert conn.execute("SELECT session_id FROM forgotten_sessions").fetchall()[0][0] == X
    if index is not None:
        index, _ = open_for_search(settings.load(str(data_dir)))
        assert index is not None
        expected = {f"obs:{r[0]}" for r in conn.execute("SELECT id FROM observations")} | {
            f"sum:{r[0]}" for r in conn.execute("SELECT id FROM summaries")}
        assert index.ids() == expected and all(r.startswith(("obs:", "sum:")) for r in expected)
        assert len(expected) == 2  # Y's observation and summary only


def test_forget_waits_for_an_index_sync_in_flight(data_dir: Path, tmp_path: Path) -> None:
    """While another process syncs the index (barrier held shared), forget neither removes nor
    verifies; it goes on once the sync is done."""
    from recall_plugin.lifecycle.forget import ForgetReport, forget
    from recall_plugin.store.barrier import held

    project = tmp_path / "repo"
    (project / "src").mkdir(parents=True)
    configure(data_dir, INDEX_MODE="off")
    with FakeModel() as model:
        use_openrouter(data_dir, model.url)
        turn(project, "x1", "make retry back off", session=X)
        extract(data_dir)
    syncing = subprocess.Popen([sys.executable, "-c", (
        "import sys, sqlite3; from recall_plugin.store.barrier import held\n"
        f"conn = sqlite3.connect({str(data_dir / 'recall.db')!r})\n"
        "with held(conn):\n    print('held', flush=True); sys.stdin.readline()\n")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert syncing.stdout is not None and syncing.stdin is not None
    assert syncing.stdout.readline().strip() == "held"
    reports: list[ForgetReport] = []
    worker = threading.Thread(target=lambda: reports.append(
        forget(db(data_dir), session_id=X, reason="barrier test")))
    worker.start()
    worker.join(0.5)
    assert worker.is_alive() and left_of(data_dir, X)["observations"] == 1  # still waiting
    syncing.stdin.write("\n")
    syncing.stdin.flush()
    assert syncing.wait(30) == 0
    worker.join(60)
    assert not worker.is_alive() and reports[0].verified is True
    assert left_of(data_dir, X)["observations"] == 0
    with held(db(data_dir), exclusive=True, wait_s=0):  # and it let go of the barrier
        pass
