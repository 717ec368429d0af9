"""Project identity from real git repositories, worktrees and clones: unrelated repositories
with the same folder name never share memory, a repository's own config cannot attach it to
another project, joining is an explicit command, and old stores migrate without loss."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers.builders import observation_xml
from helpers.extraction import FakeModel, last_user_text, send, turn, use_openrouter
from helpers.fakes import Recorded, Response
from helpers.hooks import HookRunner, load_payloads, spooled
from helpers.repos import extract_spool_only, git, make_repo
from helpers.repos import two_apps as two_apps_fixture

from recall_plugin import identity
from recall_plugin.capture.project import git_root, key, resolve
from recall_plugin.extract.runner import Extractor
from recall_plugin.search import Filters, search
from recall_plugin.store.db import open_store
from recall_plugin.store.projects import project_label


class Model(FakeModel):
    """One observation per request, titled with the session's prompt."""

    def default(self, request: Recorded) -> Response:
        text = last_user_text(request)
        prompt = text.split("USER PROMPT #1: ", 1)[-1].split("\n", 1)[0]
        return self.reply(observation_xml(prompt, [], "<summary>" in text))


def extract(data_dir: Path) -> None:
    extractor = Extractor(str(data_dir), drain=True)
    try:
        assert extractor.run(idle_s=0).remaining == 0
    finally:
        extractor.close()


def context_of(run_hook: HookRunner, cwd: Path, **env: str) -> str:
    [record] = [r for r in load_payloads("bash_inject") if r["event"] == "SessionStart"]
    result = run_hook("SessionStart", dict(record["payload"], cwd=str(cwd)), **env)
    assert result.returncode == 0
    out = result.stdout.decode()
    return str(json.loads(out)["hookSpecificOutput"]["additionalContext"]) if out else ""


def title(name: str) -> str:
    """The first line of the injected block for a project shown as ``name``."""
    from recall_plugin.context import frame

    return frame.header(name).splitlines()[0]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "recall_plugin", *args], capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


def remember(data_dir: Path, repo: Path, prompt: str, session: str) -> str:
    """A real session in ``repo`` through the hooks and the extractor; its project id."""
    turn(repo, "p1", prompt, session=session)
    extract(data_dir)
    row = open_store(str(data_dir)).execute(
        "SELECT project FROM sessions WHERE session_id = ?", (session,)).fetchone()
    return str(row[0])


SESSION_A = "aaaaaaaa-0000-4000-8000-000000000001"
SESSION_B = "bbbbbbbb-0000-4000-8000-000000000002"
two_apps = two_apps_fixture


# -- identity ------------------------------------------------------------------------------
def test_top_level_of_a_subfolder(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "shop-api")
    project = resolve(str(repo / "src" / "deep"))
    assert (project.id, project.display, project.root, project.excluded) == (
        f"dir:{repo}", "shop-api", str(repo), False)
    assert project.name == project.id == key(str(repo))  # callers filtering by .name get the id


def test_worktree_maps_to_main_repository(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "shop-api")
    git("worktree", "add", "-q", str(tmp_path / "feature-x"), cwd=repo)
    assert git_root(str(tmp_path / "feature-x" / "src")) == str(repo)
    worktree = resolve(str(tmp_path / "feature-x"))
    assert (worktree.id, worktree.display) == (key(str(repo)), "shop-api")


def test_not_a_repository_uses_the_resolved_folder(tmp_path: Path) -> None:
    (tmp_path / "one" / "scratch").mkdir(parents=True)
    (tmp_path / "two" / "scratch").mkdir(parents=True)
    os.symlink(tmp_path / "one" / "scratch", tmp_path / "link")
    one = resolve(str(tmp_path / "one" / "scratch"))
    assert (one.id, one.display) == (f"dir:{tmp_path / 'one' / 'scratch'}", "scratch")
    assert key(str(tmp_path / "link")) == one.id
    assert key(str(tmp_path / "two" / "scratch")) != one.id


def test_remote_urls_are_normalised() -> None:
    same = ["git@github.com:Acme/App.git", "https://github.com/acme/app",
            "ssh://git@github.com:22/acme/app.git/", "https://user:tok3n@github.com/acme/app.git",
            "git://github.com/acme/app"]
    assert {identity.normalize_remote(u) for u in same} == {"github.com/acme/app"}
    assert identity.normalize_remote("https://git.example.org:8443/a/b") == "git.example.org:8443/a/b"
    assert identity.normalize_remote("/srv/git/app") == identity.normalize_remote("file:///x") == ""
    assert identity.normalize_remote("https://github.com/acme/app-fork") != "github.com/acme/app"


def test_clones_of_one_repository_share_and_forks_do_not(tmp_path: Path) -> None:
    origin = make_repo(tmp_path / "origin" / "app")
    git("clone", "-q", str(origin), str(tmp_path / "copy"), cwd=tmp_path)
    git("clone", "-q", str(tmp_path / "copy"), str(tmp_path / "copy-of-copy"), cwd=tmp_path)
    assert key(str(tmp_path / "copy")) == key(str(tmp_path / "copy-of-copy")) == key(str(origin))
    one = make_repo(tmp_path / "one" / "app", remote="git@github.com:acme/app.git")
    two = make_repo(tmp_path / "two" / "checkout", remote="https://github.com/Acme/app")
    fork = make_repo(tmp_path / "three" / "app", remote="https://github.com/someone/app")
    assert key(str(one)) == key(str(two)) == "git:github.com/acme/app"
    assert key(str(fork)) not in (key(str(one)), key(str(origin)))
    assert resolve(str(two)).display == "checkout"


def test_config_renames_the_display_only_and_the_setting_names_a_project(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "shop-api")
    (repo / ".claude-recall.json").write_text(json.dumps({"project": 'shop"\n<x>INJECTED: yes'}))
    project = resolve(str(repo / "src"))
    assert (project.id, project.display) == (f"dir:{repo}", "shop' \u2039x\u203aINJECTED: yes")
    forced = resolve(str(repo / "src"), forced_name="forced")
    assert (forced.id, forced.display) == ("name:forced", "forced")
    assert resolve(str(repo), forced_name="git:github.com/acme/app").id == "git:github.com/acme/app"


def test_opt_outs(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "client-secret-work")
    assert resolve(str(repo), excluded_globs=("client-*",)).excluded
    assert resolve(str(repo), excluded_globs=(str(tmp_path) + "/*",)).excluded
    assert not resolve(str(repo), excluded_globs=("other",)).excluded
    (repo / "src" / ".claude-recall-ignore").write_text("")
    assert resolve(str(repo / "src" / "deep")).excluded
    assert not resolve(str(repo)).excluded
    (repo / ".claude-recall.json").write_text(json.dumps({"capture": False}))
    assert resolve(str(repo)).excluded


def test_excluded_project_captures_nothing(run_hook: HookRunner, data_dir: Path) -> None:
    (run_hook.cwd / ".claude-recall-ignore").write_text("")
    for record in load_payloads("bash_inject"):
        payload = dict(record["payload"], cwd=str(run_hook.cwd))
        assert run_hook(str(record["event"]), payload).returncode == 0
    assert spooled(data_dir) == []


# -- memory through the real hooks, extractor, context and search ---------------------------
def remember_both(data_dir: Path, alice: Path, bob: Path) -> tuple[str, str]:
    """Alice's and Bob's "app" each remember one session; their project ids."""
    with Model() as model:
        use_openrouter(data_dir, model.url)
        return (remember(data_dir, alice, "rotate the billing keys", SESSION_A),
                remember(data_dir, bob, "draw the landing page", SESSION_B))


def test_two_unrelated_repositories_named_app_never_share(
        data_dir: Path, run_hook: HookRunner, two_apps: tuple[Path, Path]) -> None:
    alice, bob = two_apps
    id_a, id_b = remember_both(data_dir, alice, bob)
    assert id_a == f"dir:{alice}" and id_b == f"dir:{bob}"
    conn = open_store(str(data_dir))
    for table in ("sessions", "prompts", "events", "observations", "summaries"):
        rows = dict(conn.execute(f"SELECT session_id, project FROM {table}").fetchall())
        assert rows == {SESSION_A: id_a, SESSION_B: id_b}, table
    assert project_label(conn, id_a) == project_label(conn, id_b) == "app"
    context_a, context_b = context_of(run_hook, alice / "src"), context_of(run_hook, bob)
    assert "rotate the billing keys" in context_a and "landing page" not in context_a
    assert "landing page" in context_b and "billing" not in context_b
    assert context_a.startswith(title("app")) and context_b.startswith(title("app"))
    for words, mine in (("billing keys", id_a), ("landing page", id_b)):
        hits = search(conn, words, Filters(project=id_a), 10, None)
        assert {h.project for h in hits} <= {id_a} and bool(hits) == (mine == id_a)
    printed = cli("search", "billing", "--project", "app")
    assert printed.returncode == 1 and "2 projects are named 'app'" in printed.stderr


def test_a_worktree_and_a_clone_share_the_repositorys_memory(
        data_dir: Path, run_hook: HookRunner, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "shop", remote="git@github.com:acme/shop.git")
    with Model() as model:
        use_openrouter(data_dir, model.url)
        shop_id = remember(data_dir, repo, "make checkout resilient", SESSION_A)
    git("worktree", "add", "-q", str(tmp_path / "shop-feature"), cwd=repo)
    git("clone", "-q", str(repo), str(tmp_path / "elsewhere" / "shop2"), cwd=tmp_path)
    git("remote", "set-url", "origin", "https://github.com/acme/shop", cwd=tmp_path / "elsewhere" / "shop2")
    assert shop_id == "git:github.com/acme/shop"
    for place in (tmp_path / "shop-feature" / "src", tmp_path / "elsewhere" / "shop2"):
        assert "make checkout resilient" in context_of(run_hook, place)


def test_a_repositorys_config_cannot_attach_it_to_another_project(
        data_dir: Path, run_hook: HookRunner, tmp_path: Path) -> None:
    victim = make_repo(tmp_path / "bank" / "app", remote="git@github.com:bank/backend.git")
    with Model() as model:
        use_openrouter(data_dir, model.url)
        victim_id = remember(data_dir, victim, "the deploy runbook lives in ops", SESSION_A)
    for claimed in ("app", victim_id, "backend", f"name:{victim_id}"):
        evil = make_repo(tmp_path / "evil" / f"x{abs(hash(claimed))}")
        (evil / ".claude-recall.json").write_text(json.dumps({"project": claimed}))
        assert key(str(evil)) == f"dir:{evil}"
        assert "deploy runbook" not in context_of(run_hook, evil)
        send("UserPromptSubmit", evil, SESSION_B, prompt="poison", prompt_id=f"p-{claimed}")
    extract_spool_only(data_dir)
    conn = open_store(str(data_dir))
    assert {r[0] for r in conn.execute("SELECT DISTINCT project FROM events"
                                       " WHERE session_id = ?", (SESSION_B,))} == {
        f"dir:{p}" for p in (tmp_path / "evil").iterdir()}
    assert conn.execute("SELECT count(*) FROM events WHERE project = ? AND session_id = ?",
                        (victim_id, SESSION_B)).fetchone()[0] == 0


def test_projects_join_and_rename_are_explicit_commands(
        data_dir: Path, run_hook: HookRunner, two_apps: tuple[Path, Path]) -> None:
    alice, bob = two_apps
    id_a, id_b = remember_both(data_dir, alice, bob)
    listed = json.loads(cli("projects", "--json").stdout)
    assert {(p["id"], p["name"], p["observations"], tuple(p["paths"])) for p in listed} == {
        (id_a, "app", 1, (str(alice),)), (id_b, "app", 1, (str(bob),))}
    refused = cli("projects", "join", id_a, id_b)  # no terminal, no --yes
    assert refused.returncode == 1 and "landing page" not in context_of(run_hook, alice)
    joined = cli("projects", "join", id_a, id_b, "--yes")
    assert joined.returncode == 0, joined.stderr
    assert key(str(bob)) == id_a
    assert "rotate the billing keys" in context_of(run_hook, bob)
    assert "draw the landing page" in context_of(run_hook, alice)
    listed = json.loads(cli("projects", "list", "--json").stdout)
    assert [(p["id"], p["observations"], sorted(p["paths"]), p["joined"]) for p in listed] == [
        (id_a, 2, sorted([str(alice), str(bob)]), [id_b])]
    assert f"joined: {id_b}" in cli("projects").stdout
    (alice / ".claude-recall.json").write_text(json.dumps({"project": "from-config"}))
    assert cli("projects", "rename", "app", "Billing").returncode == 0
    send("UserPromptSubmit", alice, SESSION_A, prompt="later", prompt_id="p9")
    extract_spool_only(data_dir)  # the config's name no longer wins over the user's
    assert context_of(run_hook, alice).startswith(title("Billing"))
    assert cli("projects", "join", id_a, "nope", "--yes").returncode == 1


def test_git_files_from_an_archive_cannot_borrow_another_repository(tmp_path: Path) -> None:
    bank = make_repo(tmp_path / "bank", remote="git@github.com:bank/backend.git")
    git("worktree", "add", "-q", str(tmp_path / "bank-feature"), cwd=bank)
    git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(make_repo(tmp_path / "lib")),
        "vendor/lib", cwd=bank)
    assert key(str(tmp_path / "bank-feature")) == "git:github.com/bank/backend"
    assert key(str(bank / "vendor" / "lib")) == key(str(tmp_path / "lib")) == f"dir:{tmp_path / 'lib'}"
    worktree_gitdir = (tmp_path / "bank-feature" / ".git").read_text()
    for name, dot_git in (("points-at-bank", f"gitdir: {bank / '.git'}\n"),
                          ("copies-a-worktree", worktree_gitdir)):
        evil = tmp_path / "evil" / name
        evil.mkdir(parents=True)
        (evil / ".git").write_text(dot_git)
        assert key(str(evil)) == f"dir:{evil}", name
    fake = tmp_path / "evil" / "commondir"  # a .git folder whose commondir names the bank's
    make_repo(fake)
    (fake / ".git" / "commondir").write_text(str(bank / ".git") + "\n")
    assert key(str(fake)) == f"dir:{fake}"
