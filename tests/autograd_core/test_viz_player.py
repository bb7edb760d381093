"""viz.backward_player: one self-contained HTML page stepping through backward, checked in a real
headless Chromium (Debian's chromium + chromium-driver, through selenium)."""

import shutil
import tempfile
from pathlib import Path

import pytest

import autograd_core as ag
from autograd_core import viz
from autograd_core.errors import GraphError

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def expression():
    x = ag.tensor(2.0, requires_grad=True)
    y = ag.tensor(3.0, requires_grad=True)
    x.name, y.name = "x", "y"
    return (x * y + ag.sin(x)).tanh()


def test_page_is_self_contained_and_has_one_frame_per_backward_step(tmp_path):
    z = expression()
    player = viz.backward_player(z, tmp_path / "backward.html")
    page = (tmp_path / "backward.html").read_text()
    assert player.frame_count == len(viz.backward_frames(z)) == 4
    assert page.count('<div class="frame"') == 4 and page.count("<svg") == 4
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    assert "<script src" not in page and "<link" not in page
    assert ['tanh', 'add', 'sin', 'mul'] == [part.split('"')[0] for part in page.split('data-op="')[1:]]
    assert "iframe srcdoc" in player._repr_html_()
    assert z.grad_fn.inputs is not None  # nothing was freed


def test_player_without_dot_renders_in_process(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "")
    player = viz.backward_player(expression(), tmp_path / "p.html")
    assert player.frame_count == 4 and "<svg" in player.html


def test_player_of_a_leaf_raises():
    with pytest.raises(GraphError, match="no recorded graph"):
        viz.backward_player(ag.tensor(1.0, requires_grad=True), None)


@pytest.fixture
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def visible_frames(driver):
    return [f for f in driver.find_elements("css selector", ".frame") if f.is_displayed()]


def test_player_in_a_real_browser(browser, tmp_path):
    path = viz.backward_player(expression(), tmp_path / "backward.html").path
    browser.get(Path(path).resolve().as_uri())
    counter = browser.find_element("id", "frame-counter")
    op = browser.find_element("id", "current-op")
    assert counter.text == "step 1 / 4" and op.text == "tanh"
    assert len(visible_frames(browser)) == 1
    browser.find_element("id", "next").click()
    assert counter.text == "step 2 / 4" and op.text == "add"
    browser.find_element("id", "next").click()
    browser.find_element("id", "next").click()
    assert counter.text == "step 4 / 4" and op.text == "mul"
    browser.find_element("id", "next").click()  # stays on the last frame
    assert counter.text == "step 4 / 4"
    browser.find_element("id", "prev").click()
    assert counter.text == "step 3 / 4" and op.text == "sin"
    shown = visible_frames(browser)
    assert len(shown) == 1 and shown[0].get_attribute("data-op") == "sin"
    assert shown[0].find_element("css selector", "svg").is_displayed()
    # play runs through to the end by itself, then the button reads "play" again
    browser.find_element("id", "play").click()
    assert browser.find_element("id", "play").text == "pause"
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 10).until(lambda d: d.find_element("id", "frame-counter").text == "step 4 / 4"
                                     and d.find_element("id", "play").text == "play")
    assert op.text == "mul"
    errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert errors == []


def _cli(*args, cwd):
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(root))
    return subprocess.run([sys.executable, "-m", "autograd_cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli_grad_explain_and_player(tmp_path):
    result = _cli("grad", "x*y + sin(x)", "--at", "x=2", "y=3", "--explain", "--player", "p.html",
                  cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "d f / d x = 2.58385   (sum over 2 paths" in result.stdout
    assert "sin: ∂/∂a = cos(a) = -0.416147" in result.stdout
    assert "player: p.html" in result.stdout
    page = (tmp_path / "p.html").read_text()
    assert page.count('<div class="frame"') == 3


def test_cli_train_player(tmp_path):
    result = _cli("train", "--epochs", "1", "--samples", "60", "--player", "--out", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "out" / "backward.html").read_text()
    assert page.count('<div class="frame"') >= 5 and "backward.html" in result.stdout
