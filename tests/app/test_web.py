"""The web demo: its callbacks (fast, with a scripted model) and the whole page in a real browser
(headless Debian chromium through selenium, with the tiny trained LM)."""

from __future__ import annotations

import shutil
import socket
import urllib.request
from pathlib import Path

import numpy as np
import pytest

gr = pytest.importorskip("gradio")

from tdmm_lm.app.session import NO_TEXT  # noqa: E402
from tdmm_lm.app.web import Demo, serve  # noqa: E402
from tdmm_lm.motion import load  # noqa: E402
from tests.app.fakes import ScriptedLM  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
QUESTION = "what is the person doing?"
PROMPT = "a person smiles and then blinks"


def test_callbacks_load_render_chat_and_generate(real_take):
    demo = Demo(ScriptedLM())
    conv, info, video, curves, chat = demo.upload(str(real_take), None)
    assert info == f"**{real_take.name}: arkit61, 328 frames at 60 fps (5.47 s)**"
    import imageio.v2 as imageio
    assert imageio.get_reader(video).count_frames() == 82      # 5.47 s at the 15 fps preview
    assert imageio.imread(curves).shape[:2] == (280, 900)
    conv, messages, cleared = demo.ask(QUESTION, chat, conv)
    conv, messages, _ = demo.ask("and then?", messages, conv)
    assert cleared == "" and [m["role"] for m in messages] == ["user", "assistant"] * 2
    assert messages[3]["content"] == "and then? / 328 frames / turn 2"
    conv, info, video, curves, files = demo.generate(PROMPT, 2.5, conv)
    assert info == "**generated: arkit61, 75 frames at 30 fps (2.50 s)**"
    assert [Path(f).name for f in files] == ["generated.csv", "generated.npz"]
    csv, npz = load(files[0]), load(files[1])
    assert csv.num_frames == npz.num_frames == 75
    assert np.allclose(csv.data, npz.data, atol=1e-9)
    # generating does not change what the chat is about
    assert conv.motion.num_frames == 328


def test_samples_and_errors_show_as_one_line(tmp_path):
    demo = Demo(ScriptedLM())
    conv, info, *_ = demo.sample(3, None)
    assert info.startswith("**FaceScript sample 3: ") and "arkit61" in info
    bad = tmp_path / "bad.csv"
    bad.write_text("not,a,take\n1,2,3\n")
    with pytest.raises(gr.Error, match="bad.csv"):
        demo.upload(str(bad), conv)
    with pytest.raises(gr.Error, match="the prompt is empty"):
        demo.generate("  ", 3, conv)
    with pytest.raises(gr.Error, match="no motion yet"):
        demo.ask(QUESTION, [], None)


def test_serve_refuses_a_busy_port_and_a_missing_model(cli, tmp_path):
    from tdmm_lm.errors import TdmmError
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(TdmmError, match=f"cannot serve on 127.0.0.1:{port} .*pick another --port"):
            serve(ScriptedLM(), port=port, block=False)
    rc, out, err = cli("serve", "--model", tmp_path / "nothing")
    assert rc == 2 and err.count("\n") == 1 and "no such folder" in err


# --- the page in a real browser ------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def browser():
    if not (shutil.which("chromedriver") and (shutil.which("chromium") or shutil.which("chrome"))):
        pytest.skip("Debian's chromium and chromium-driver are not installed (.ci/run installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1400,2100", "--disable-gpu"):
        options.add_argument(arg)
    options.binary_location = shutil.which("chromium") or shutil.which("chrome")
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    yield driver
    driver.quit()


@pytest.fixture
def served_lm(tiny_lm_run):
    from tdmm_lm.app.session import load_model
    model = load_model(str(tiny_lm_run))
    app, url = serve(model, port=_free_port(), block=False)
    yield model, url
    app.close()


def _wait_text(driver, element_id: str, predicate, timeout: float = 60.0) -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def ready(d):
        text = d.find_element(By.ID, element_id).text
        return text if predicate(text) else False
    return WebDriverWait(driver, timeout).until(ready)


@pytest.mark.slow
def test_browser_upload_ask_generate_download(browser, served_lm, real_take, tmp_path):
    from selenium.webdriver.common.by import By

    model, url = served_lm
    browser.get(url)
    _wait_text(browser, "motion-info", lambda t: "No motion yet" in t)
    # upload the real Live Link Face take: the page shows its summary, video and curves
    browser.find_element(By.CSS_SELECTOR, "#take-upload input[type=file]").send_keys(str(real_take))
    info = _wait_text(browser, "motion-info", lambda t: "frames" in t)
    assert info == f"{real_take.name}: arkit61, 328 frames at 60 fps (5.47 s)"
    video = browser.find_element(By.CSS_SELECTOR, "#motion-video video").get_attribute("src")
    assert video.endswith("/motion.mp4")
    assert browser.find_element(By.CSS_SELECTOR, "#motion-curves img").get_attribute("src")

    # ask a question: the page shows the model's answer about this take (seed 0)
    expected = model.answer(load(real_take), QUESTION, [], seed=0).strip() or NO_TEXT
    browser.find_element(By.CSS_SELECTOR, "#question textarea").send_keys(QUESTION)
    browser.find_element(By.ID, "ask-button").click()
    chat = _wait_text(browser, "chat", lambda t: expected.splitlines()[0] in t)
    assert chat.index(QUESTION) < chat.index(expected.splitlines()[0])

    # generate 3 s of motion: the page shows it, and the CSV it offers is a valid take
    browser.find_element(By.CSS_SELECTOR, "#prompt textarea").send_keys(PROMPT)
    browser.find_element(By.ID, "generate-button").click()
    gen = _wait_text(browser, "generated-info", lambda t: "frames" in t)
    assert gen == "generated: arkit61, 90 frames at 30 fps (3.00 s)"
    assert browser.find_element(By.CSS_SELECTOR, "#generated-video video").get_attribute("src")
    links = {a.get_attribute("download"): a.get_attribute("href")
             for a in browser.find_elements(By.CSS_SELECTOR, "#downloads a[download]")}
    assert sorted(links) == ["generated.csv", "generated.npz"]
    downloaded = tmp_path / "generated.csv"
    downloaded.write_bytes(urllib.request.urlopen(links["generated.csv"], timeout=30).read())
    take = load(downloaded)
    direct = model.generate([PROMPT], [90], seed=0)[0]
    assert (take.format.name, take.num_frames, take.fps) == ("arkit61", 90, 30.0)
    assert np.allclose(take.data, direct.data, atol=1e-6)

    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "web_demo.png"))
