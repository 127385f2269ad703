"""The playground in a real browser: Debian's chromium, headless, driven by Selenium against the real
`neurona playground` command on 127.0.0.1. Open the page, press play, wait (a bounded condition, not a
timed assertion) until the circle's test loss is below 0.1, change the data set and the network with
the controls, check the URL carries the state, export the YAML and train it with `neurona train`.
Screenshots go to the test's temporary folder."""

import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
import yaml
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from typer.testing import CliRunner

from neurona.cli import app as cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="needs Debian's chromium and chromium-driver (.ci/run installs them as root)")
WAIT_S = 180  # upper bound for each condition; they normally hold within seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "neurona.cli", "playground", "--port", str(port), "--no-browser"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "api/health", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"the playground server did not start: {proc.stdout.read().decode()[-2000:]}")
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def browser(tmp_path):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--window-size=1400,1000",
                f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield driver
    driver.quit()


def wait_for(driver, condition, what):
    return WebDriverWait(driver, WAIT_S, poll_frequency=0.1).until(lambda d: condition(d), message=what)


def js(driver, expr):
    return driver.execute_script(f"return {expr};")


def test_play_until_the_circle_is_learned_then_change_everything(server, browser, tmp_path):
    d = browser
    d.get(server)
    wait_for(d, lambda d: js(d, "window.playground.state !== null"), "the first state frame")
    assert d.find_element(By.ID, "epoch").text == "000,000"
    d.find_element(By.ID, "play").click()
    wait_for(d, lambda d: (t := d.find_element(By.ID, "test-loss").text) not in ("–", "NaN") and float(t) < 0.1,
             "test loss on the circle below 0.1")
    assert js(d, "window.playground.state.epoch") > 0 and js(d, "window.playground.frames") > 2
    d.save_screenshot(str(tmp_path / "circle-learned.png"))
    d.find_element(By.ID, "play").click()  # pause
    wait_for(d, lambda d: js(d, "window.playground.state.playing") is False, "paused")

    # the data set, the network and the features, through the controls
    d.find_element(By.ID, "data-xor").click()
    wait_for(d, lambda d: js(d, "window.playground.settings.dataset") == "xor", "xor chosen")
    d.find_element(By.ID, "add-layer").click()
    wait_for(d, lambda d: d.find_element(By.ID, "n-layers").text == "3", "a third hidden layer")
    d.find_element(By.CSS_SELECTOR, '.layer-head button[data-l="0"][data-d="1"]').click()
    wait_for(d, lambda d: js(d, "window.playground.settings.hidden.join(',')") == "5,2,2", "five neurons in layer 1")
    d.find_element(By.ID, "node-0-4").click()  # the x1x2 feature
    wait_for(d, lambda d: js(d, "window.playground.settings.features.join(',')") == "x1,x2,x1x2", "x1x2 switched on")
    wait_for(d, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#nodes .node:not(.feature)")) == 5 + 2 + 2 + 1,
             "the network redrawn with 9 hidden neurons and the output")
    assert len(d.find_elements(By.CSS_SELECTOR, "#links path")) == 3 * 5 + 5 * 2 + 2 * 2 + 2 * 1
    d.find_element(By.ID, "step").click()
    wait_for(d, lambda d: d.find_element(By.ID, "epoch").text == "000,001", "one epoch stepped")
    d.save_screenshot(str(tmp_path / "xor-network.png"))

    # the URL carries the state: a fresh page from it rebuilds the same configuration
    url = d.current_url
    assert "dataset=xor" in url and "hidden=5%2C2%2C2" in url
    d.get("about:blank")
    d.get(url)
    wait_for(d, lambda d: js(d, "window.playground.settings && window.playground.settings.hidden.join(',')") == "5,2,2",
             "the configuration restored from the URL")
    assert js(d, "window.playground.settings.dataset") == "xor"

    # export the YAML and train it with neurona
    d.find_element(By.CSS_SELECTOR, '[data-export="yaml"]').click()
    wait_for(d, lambda d: "dataset: playground" in d.find_element(By.ID, "export-text").get_attribute("value"),
             "the exported YAML")
    text = d.find_element(By.ID, "export-text").get_attribute("value")
    config = tmp_path / "playground.yaml"
    config.write_text(text)
    assert yaml.safe_load(text)["model"]["layers"][0] == {"type": "linear", "out_features": 5}
    result = CliRunner().invoke(cli, ["train", str(config), "--out", str(tmp_path / "runs"), "--verbose", "0"])
    assert result.exit_code == 0, result.output
    run_dir = next((tmp_path / "runs").iterdir())
    assert (run_dir / "model.safetensors").exists() and (run_dir / "metrics.json").exists()
    assert list(tmp_path.glob("*.png")) and all(p.stat().st_size > 10_000 for p in tmp_path.glob("*.png"))
    assert [e for e in d.get_log("browser") if e["level"] == "SEVERE"] == []  # no JavaScript errors


def test_backprop_mode_and_alerts_in_the_page(server, browser, tmp_path):
    d = browser
    d.get(server + "#init=zeros")
    wait_for(d, lambda d: js(d, "window.playground.settings && window.playground.settings.init") == "zeros", "zeros init")
    d.find_element(By.ID, "step").click()
    wait_for(d, lambda d: "same weights" in d.find_element(By.ID, "alerts").text, "the symmetry alert")
    d.find_element(By.ID, "backprop").click()
    wait_for(d, lambda d: "layer 1: a = [" in d.find_element(By.ID, "bp-out").text, "the backprop view")
    wait_for(d, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".node .bp")) == 4 + 2 + 1, "a and delta on each neuron")
    d.save_screenshot(str(tmp_path / "backprop.png"))
    assert "grad" in js(d, "document.querySelector('#links path').dataset.extra")  # hover shows the gradient too

    # hover a link: its weight; click it: a prompt edits the weight on the server
    link = 'document.querySelector(\'#links path[data-layer="1"][data-to="0"][data-from="1"]\')'
    d.execute_script(f"{link}.dispatchEvent(new MouseEvent('mousemove', {{bubbles: true}}))")
    assert d.find_element(By.ID, "hover").text.startswith("weight ")
    d.execute_script(f"setTimeout(() => {link}.dispatchEvent(new MouseEvent('click', {{bubbles: true}})), 0)")
    wait_for(d, lambda d: _alert(d), "the weight prompt")
    prompt = d.switch_to.alert
    prompt.send_keys("1.25")
    prompt.accept()
    wait_for(d, lambda d: js(d, "window.playground.state.weights[1][0][1]") == 1.25, "the edited weight")
    assert [e for e in d.get_log("browser") if e["level"] == "SEVERE"] == []


def _alert(driver):
    try:
        return driver.switch_to.alert
    except Exception:
        return False
