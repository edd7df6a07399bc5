"""Shared test configuration: hypothesis profiles, and the fixtures for what CI must have
(the PyTorch oracle, the Debian Fashion-MNIST package, Debian's Chromium for the browser tests). `make setup` installs both, so that
`make test` on a fresh Debian machine runs every test and skips none.

Profiles (choose with HYPOTHESIS_PROFILE=dev|ci|thorough; CI=true selects "ci"):
- "dev": fresh random examples on every run, remembered in .hypothesis/ when they fail;
- "ci": derandomized, so a CI run is reproducible, and no example database;
- "thorough": 1000 examples per test, for an occasional long hunt (minutes, not seconds).
"""
import importlib
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

IN_CI = os.environ.get("CI", "").lower() == "true"

# deadline=None and no too_slow check: a 2-core machine shared with other jobs has noisy timings,
# and speed is measured in bench/, not in tests.
_common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=25, **_common)
settings.register_profile("ci", max_examples=25, derandomize=True, database=None, print_blob=True, **_common)
settings.register_profile("thorough", max_examples=1000, **_common)  # now and then, to hunt rare cases
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if IN_CI else "dev"))


@pytest.fixture(scope="session")
def torch():
    """PyTorch, the independent oracle for gradients.

    `make setup` installs it (the CPU build, torch==2.13.0) into .venv, so `make test` never skips
    these tests. Only a machine for which PyTorch has no build skips them, saying how to get it;
    in CI (CI=true) they fail instead: a skipped test is not a pass.
    """
    try:
        torch_module = importlib.import_module("torch")
    except ImportError as error:
        message = (f"PyTorch is not installed ({error}); the oracle tests need it: run `make setup`, "
                   f"or .venv/bin/pip install torch==2.13.0")
        if IN_CI:
            pytest.fail(f"CI=true requires the PyTorch oracle. {message}", pytrace=False)
        pytest.skip(message)
    return torch_module


FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(scope="session")
def fashion_package():
    """The Fashion-MNIST files of the Debian package dataset-fashion-mnist, which `make setup`
    installs (scripts/system-deps.sh, as root). Skipped only where it could not: not root, or not
    Debian; a failure in CI."""
    if not (FASHION_DIR / "train-images-idx3-ubyte.gz").exists():
        message = f"Debian package dataset-fashion-mnist is not installed ({FASHION_DIR} is missing)"
        if IN_CI:
            pytest.fail(f"CI=true requires it: {message}", pytrace=False)
        pytest.skip(message + ": sudo apt-get install dataset-fashion-mnist (on Debian or Ubuntu)")
    return FASHION_DIR


# Debian's Chromium, driven by Playwright (which downloads no browser of its own): the site's,
# JupyterLab's and the class page's browser tests.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def unavailable(reason):
    """Skip locally, fail in CI: a missing site or browser is never a pass there."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the Python package playwright is missing: pip install -e '.[dev]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


# `make check`, the developer's loop, runs every test but these three kinds (`make test` runs them all):
# "site": tests of the built site (its pages, PDFs, Korean edition) or that run Sphinx themselves;
# "notebooks": the chapters executed again (nbval) or driven in JupyterLab;
# "batch": the tests that grade a whole class folder first (the hostile suite in each isolation mode,
# the class of 200), and the sandbox's suite run again without bubblewrap: minutes of CPU each.
SITE_MODULES = {"test_a11y", "test_site", "test_from_site", "test_pdf", "test_figures_korean", "test_twins",
                "test_korean_share", "test_korean_learner", "test_korean", "test_performance_page"}
NOTEBOOK_MODULES = {"test_notebooks", "test_lab"}
BATCH_TESTS = {"test_the_whole_suite_holds_without_bwrap"}


def pytest_configure(config):
    config.addinivalue_line("markers", "site: needs the built site (make book) or builds pages itself")
    config.addinivalue_line("markers", "notebooks: executes the chapters again (nbval) or drives JupyterLab")
    config.addinivalue_line("markers", "batch: grades a whole class folder first, or the sandbox's suite again")


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        if module in SITE_MODULES or {"server", "pages", "visit"} & set(item.fixturenames):
            item.add_marker(pytest.mark.site)
        if module in NOTEBOOK_MODULES:
            item.add_marker(pytest.mark.notebooks)
        if {"batch_run", "graded", "graded_class"} & set(item.fixturenames) or item.name in BATCH_TESTS:
            item.add_marker(pytest.mark.batch)
