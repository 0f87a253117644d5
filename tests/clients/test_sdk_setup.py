"""Finding Node and the driver; where an installed app puts the driver's dependencies."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.clients import sdk_setup
from app.clients.sdk_setup import SetupError, check_sdk_dir, driver_home

ROOT = Path(__file__).resolve().parents[2]


def test_the_checkout_runs_the_driver_in_place() -> None:
    home = driver_home()
    assert home.folder == ROOT / "sdkclient" and home.source == home.folder
    assert home.entry.name == "driver.js"


def test_an_installed_bundle_installs_into_the_users_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "opt" / "dcmon" / "_internal" / "sdkclient"  # no pyproject beside it
    bundle.mkdir(parents=True)
    for name in ("driver.js", "package.json", "package-lock.json"):
        shutil.copy2(ROOT / "sdkclient" / name, bundle / name)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    home = driver_home(bundle)
    assert home.folder.parent == tmp_path / "data" / "dcmon"
    assert home.folder.name.startswith("sdkclient-")  # one copy per lock file
    assert not home.installed and home.source == bundle


def test_missing_node_names_the_install_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SetupError, match="apt-get install -y nodejs npm"):
        sdk_setup.find_node()
    with pytest.raises(SetupError, match="apt-get install -y npm"):
        sdk_setup.find_npm()


def test_sdk_dir_must_hold_plugin_meetings(tmp_path: Path) -> None:
    with pytest.raises(SetupError, match="not a folder"):
        check_sdk_dir(tmp_path / "nope")
    with pytest.raises(SetupError, match="no @webex/plugin-meetings"):
        check_sdk_dir(tmp_path)
    pm = tmp_path / "node_modules" / "@webex" / "plugin-meetings"
    pm.mkdir(parents=True)
    (pm / "package.json").write_text('{"version": "3.13.0-local"}')
    assert check_sdk_dir(tmp_path) == tmp_path.resolve()
    assert sdk_setup.sdk_version_in(tmp_path) == "3.13.0-local"
    assert check_sdk_dir(tmp_path / "node_modules") == (tmp_path / "node_modules").resolve()
