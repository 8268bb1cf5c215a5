"""The issue's acceptance run of the terminal chat, with the tiny trained TDMM-LM: piped input,
a real Live Link Face take, L2M generation and a CSV that re-imports as a valid take."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest

from tdmm_lm.app.session import NO_TEXT
from tdmm_lm.motion import load

PROMPT = "a person smiles and then blinks"


def _script(take, out_csv) -> str:
    return f"/load {take}\nwhat is the person doing?\n/generate {PROMPT}\n/save {out_csv}\n/quit\n"


@pytest.fixture(scope="module")
def lm(tiny_lm_run):
    from tdmm_lm.app.session import load_model
    return load_model(str(tiny_lm_run))


def test_piped_chat_answers_generates_and_saves_a_take(cli, tiny_lm_run, lm, real_take, tmp_path,
                                                       monkeypatch):
    out_csv = tmp_path / "out.csv"
    monkeypatch.setattr("sys.stdin", io.StringIO(_script(real_take, out_csv)))
    rc, out, err = cli("chat", "--model", tiny_lm_run)
    assert rc == 0, err
    lines = out.splitlines()
    take = load(real_take)
    answer = lm.answer(take, "what is the person doing?", [], seed=0).strip() or NO_TEXT
    generated = lm.generate([PROMPT], None, seed=0)[0]     # no --seconds: the model's length
    assert lines == [
        f"{real_take.name}: arkit61, 328 frames at 60 fps (5.47 s)",
        *f"lm> {answer}".splitlines(),        # one line per window of a take longer than it reads
        f'"{PROMPT}": arkit61, {generated.num_frames} frames at 30 fps '
        f"({generated.duration:.2f} s)",
        f"wrote {out_csv} (arkit61, {generated.num_frames} frames at 30 fps)"]
    saved = load(out_csv)
    assert (saved.format.name, saved.fps, saved.channels) == ("arkit61", 30.0, take.channels)
    assert np.allclose(saved.data, generated.data, atol=1e-6)


@pytest.mark.slow
def test_piped_chat_as_a_subprocess(tiny_lm_run, real_take, tmp_path):
    out_csv = tmp_path / "out.csv"
    proc = subprocess.run([sys.executable, "-m", "tdmm_lm", "chat", "--model", str(tiny_lm_run)],
                          input=_script(real_take, out_csv), capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1].startswith("lm> ")
    assert "error:" not in proc.stderr
    saved = load(out_csv)
    assert saved.format.name == "arkit61" and saved.num_frames > 0
