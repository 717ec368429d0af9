"""Project identity from real git repositories and worktrees, overrides and opt-outs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from recall_plugin.capture.project import git_root, resolve


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "HOME": str(cwd),
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
                        "PATH": "/usr/bin:/bin"})


def make_repo(path: Path) -> Path:
    (path / "src" / "deep").mkdir(parents=True)
    git("init", "-q", "-b", "main", cwd=path)
    (path / "README").write_text("x")
    git("add", ".", cwd=path)
    git("commit", "-q", "-m", "init", cwd=path)
    return path


def test_top_level_of_a_subfolder(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "shop-api")
    project = resolve(str(repo / "src" / "deep"))
    assert (project.name, project.root, project.excluded) == ("shop-api", str(repo), False)


def test_worktree_maps_to_main_repository(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "shop-api")
    git("worktree", "add", "-q", str(tmp_path / "feature-x"), cwd=repo)
    assert git_root(str(tmp_path / "feature-x" / "src")) == str(repo)
    assert resolve(str(tmp_path / "feature-x")).name == "shop-api"


def test_not_a_repository_uses_the_folder(tmp_path: Path) -> None:
    (tmp_path / "scratch").mkdir()
    assert resolve(str(tmp_path / "scratch")).name == "scratch"


def test_config_file_and_setting_override(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "shop-api")
    (repo / ".claude-recall.json").write_text(json.dumps({"project": "shop"}))
    assert resolve(str(repo / "src")).name == "shop"
    assert resolve(str(repo / "src"), forced_name="forced").name == "forced"


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


def test_excluded_project_captures_nothing(run_hook: object, data_dir: Path) -> None:
    from conftest import HookRunner, load_payloads, spooled

    assert isinstance(run_hook, HookRunner)
    (run_hook.cwd / ".claude-recall-ignore").write_text("")
    for record in load_payloads("bash_inject"):
        payload = dict(record["payload"], cwd=str(run_hook.cwd))
        assert run_hook(str(record["event"]), payload).returncode == 0
    assert spooled(data_dir) == []
