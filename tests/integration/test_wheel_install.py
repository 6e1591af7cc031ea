"""The wheel holds everything the control room reads at run time.

The wheel is built from a copy of the project (the build writes nothing into the checkout) and
installed into a fresh virtual environment that sees this one's dependencies through a ``.pth``
file but not the checkout: the editable install's finder is never activated there, and the
commands run from another folder with ``PYTHONSAFEPATH``. So a file left out of the package
data (the help centre, a policy, the sandbox's page, the support evaluation's set) fails here.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import tomllib
import venv
import zipfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pytest
import requests

PROJECT = Path(__file__).resolve().parents[2]
# Top-level packages of the checkout that are not the control room's code.
NOT_SHIPPED = {"tests", "bench"}
COMMAND_TIMEOUT = 300
# Prints sys.path and where each package named in its arguments is imported from.
WHERE_FROM = """
import importlib, json, sys
files = {name: importlib.import_module(name).__file__ for name in sys.argv[1:]}
print(json.dumps({"path": sys.path, "files": files}))
"""
DEMO_START_TIMEOUT = 120.0


@dataclass(frozen=True)
class Installation:
    wheel: Path
    python: Path
    controlroom: Path
    site_packages: Path


def runtime_packages() -> list[str]:
    """The checkout's top-level packages the wheel must ship."""
    return sorted(
        path.name
        for path in PROJECT.iterdir()
        if (path / "__init__.py").is_file() and path.name not in NOT_SHIPPED
    )


def build_wheel(destination: Path) -> Path:
    """``pip wheel`` over a copy of the project's packaging files and runtime packages."""
    assert int(version("setuptools").split(".")[0]) >= 77, (
        "the build needs setuptools>=77 in this environment: pip install -e '.[dev]'"
    )
    source = destination / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(PROJECT / name, source / name)
    for package in runtime_packages():
        shutil.copytree(
            PROJECT / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    dist = destination / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
        + ["--no-index", "--wheel-dir", str(dist), str(source)],
        check=True,
        timeout=COMMAND_TIMEOUT,
    )
    (wheel,) = dist.glob("*.whl")
    return wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installation:
    """The wheel installed (no dependencies) into a virtual environment of its own."""
    root = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(root)
    environment = root / "venv"
    venv.EnvBuilder(with_pip=False).create(environment)
    python = environment / "bin" / "python"
    site_packages = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # This environment's packages as plain path entries: the .pth files there (the editable
    # install's finder among them) are not processed.
    dependencies = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site_packages / "controlroom_dependencies.pth").write_text("\n".join(sorted(dependencies)))
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
        + ["--no-deps", "--no-index", str(wheel)],
        check=True,
        timeout=COMMAND_TIMEOUT,
    )
    return Installation(wheel, python, environment / "bin" / "controlroom", site_packages)


def environment(var_dir: Path) -> dict[str, str]:
    """This test's (isolated) environment, with no path into the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    env.update(CONTROLROOM_VAR_DIR=str(var_dir), PYTHONSAFEPATH="1", COLUMNS="200")
    return env


def controlroom(installation: Installation, *arguments: str, cwd: Path) -> str:
    """Run the installed ``controlroom``; its output, or a failure showing it."""
    result = subprocess.run(
        [installation.controlroom, *arguments],
        cwd=cwd,
        env=environment(cwd / "var"),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )
    assert result.returncode == 0, f"controlroom {' '.join(arguments)}:\n{result.stderr}"
    return result.stdout


def test_the_wheel_ships_every_runtime_package_and_every_file_beside_their_code(
    installed: Installation,
) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        shipped = set(wheel.namelist())
    expected = {
        path.relative_to(PROJECT).as_posix()
        for package in runtime_packages()
        for path in (PROJECT / package).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert sorted(expected - shipped) == []
    assert "knowledge_base/shipping/store-pickup.md" in shipped
    assert "agents/support/eval_set.yaml" in shipped
    metadata = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))
    assert metadata["build-system"]["requires"] == ["setuptools>=77"]


def test_the_installed_packages_are_imported_from_the_environment_not_the_checkout(
    installed: Installation, tmp_path: Path
) -> None:
    shown = json.loads(
        subprocess.run(
            [installed.python, "-I", "-c", WHERE_FROM, *runtime_packages()],
            cwd=tmp_path,
            env=environment(tmp_path / "var"),
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    assert not {"", ".", str(PROJECT)} & set(shown["path"]), shown["path"]
    for package, path in shown["files"].items():
        assert Path(path).is_relative_to(installed.site_packages), (package, path)


@pytest.mark.slow
def test_the_installed_control_room_seeds_digests_evaluates_and_demos_from_another_folder(
    installed: Installation, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    assert "Seeded 5,000 customers" in controlroom(installed, "data", "seed", cwd=elsewhere)
    digest = controlroom(installed, "run", "weekly-gtm", cwd=elsewhere)
    assert "## Headline KPIs" in digest and "unavailable" not in digest
    # The help centre (ingested first) and both evaluation sets come from the wheel.
    figures = json.loads(controlroom(installed, "kb", "eval", "--json", cwd=elsewhere))
    assert figures["overall"]["answerable"] > 100 and figures["dev"]["answerable"] > 100

    printed = elsewhere / "demo.out"
    with printed.open("w") as output:
        demo = subprocess.Popen(
            [installed.controlroom, "demo", "--port", "0"],
            cwd=elsewhere,
            env=environment(elsewhere / "var"),
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        url = demo_url(printed, demo)
        page = requests.get(url, timeout=10)
        script = requests.get(f"{url}/static/app.js", timeout=10)
        state = requests.get(f"{url}/ui/state", timeout=10).json()
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=60)
    shown = printed.read_text()

    assert page.status_code == 200 and "local Slack sandbox" in page.text, shown
    assert script.status_code == 200, shown
    channels = {c["name"] for c in state["channels"] if not c["is_im"]}
    assert channels >= {"gtm-digest", "gtm-approvals"}, shown
    assert demo.returncode == 0, shown
    assert "Traceback" not in shown and "could not ingest" not in shown, shown


def demo_url(printed: Path, demo: subprocess.Popen[str]) -> str:
    """The sandbox page's URL, once the demo prints it."""
    deadline = time.monotonic() + DEMO_START_TIMEOUT
    while time.monotonic() < deadline:
        for word in printed.read_text().split():
            if word.startswith("http://127.0.0.1:"):
                return word
        assert demo.poll() is None, printed.read_text()
        time.sleep(0.2)
    raise AssertionError(f"no URL in {DEMO_START_TIMEOUT:.0f} s: {printed.read_text()}")
