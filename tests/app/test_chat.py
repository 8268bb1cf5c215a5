"""The terminal chat: commands, history, generation, saving, and errors that keep it going."""

from __future__ import annotations

import io

import numpy as np
import pytest

from tdmm_lm.app.chat import Chat, chat, parse_generate
from tdmm_lm.app.session import Conversation
from tdmm_lm.errors import TdmmError
from tdmm_lm.motion import load
from tests.app.fakes import ScriptedLM


def _run(lines: list[str], model=None) -> tuple[str, str, ScriptedLM]:
    model = model or ScriptedLM()
    out, err = io.StringIO(), io.StringIO()
    Chat(Conversation(model), out, err).run(lines)
    return out.getvalue(), err.getvalue(), model


@pytest.mark.parametrize("text, expected", [
    ("a person smiles", ("a person smiles", None)),
    ("a person smiles --seconds 2.5", ("a person smiles", 2.5)),
    ("--seconds=4 a wink", ("a wink", 4.0)),
    ('"a wink" --seconds 1', ("a wink", 1.0)),
])
def test_parse_generate(text, expected):
    assert parse_generate(text) == expected


def test_parse_generate_rejects_a_bad_number():
    with pytest.raises(TdmmError, match="--seconds needs a number"):
        parse_generate("a smile --seconds two")


def test_session_with_history_generation_and_save(real_take, tmp_path):
    out_csv = tmp_path / "out.csv"
    out, err, model = _run([f"/load '{real_take}'", "what is the person doing?", "and then?",
                            "/describe", "/generate a person smiles and then blinks --seconds 2",
                            "what now?", f"/save {out_csv}", "/quit", "never read"])
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == f"{real_take.name}: arkit61, 328 frames at 60 fps (5.47 s)"
    # the second question carries the first turn as history; the take is discussed as loaded
    assert lines[1] == "lm> what is the person doing? / 328 frames / turn 1"
    assert lines[2] == "lm> and then? / 328 frames / turn 2"
    assert model.calls[1][2] == [("what is the person doing?", lines[1][4:])]
    assert lines[3] == "lm> a 328-frame motion"
    # generation asks for 2 s at the model's 30 fps and becomes the motion under discussion,
    # with a fresh history
    assert ("generate", ["a person smiles and then blinks"], [60]) in model.calls
    assert lines[4] == '"a person smiles and then blinks": arkit61, 60 frames at 30 fps (2.00 s)'
    assert lines[5] == "lm> what now? / 60 frames / turn 1"
    assert lines[6].startswith(f"wrote {out_csv}")
    assert len(lines) == 7                     # nothing after /quit
    again = load(out_csv)                      # a valid Live Link Face take
    assert (again.format.name, again.num_frames, again.fps) == ("arkit61", 60, 30.0)


def test_errors_print_one_line_and_the_chat_goes_on(tmp_path):
    out, err, _ = _run(["what is this?", f"/load {tmp_path / 'missing.csv'}", "/frobnicate",
                        "/save", "/generate --seconds 999 a smile", "/generate   ",
                        "/generate a wink --seconds 1", f"/save {tmp_path / 'no_dir' / 'x.csv'}",
                        f"/save {tmp_path / 'x.txt'}", "/help"])
    errors = err.splitlines()
    assert len(errors) == 8 and all(e.startswith("error: ") for e in errors)
    assert "no motion yet" in errors[0]
    assert "missing.csv: no such file" in errors[1]
    assert "unknown command /frobnicate" in errors[2]
    assert "usage: /save PATH" in errors[3]
    assert "--seconds must be in (0, 60]" in errors[4]
    assert "the prompt is empty" in errors[5]
    assert "does not exist" in errors[6]
    assert "cannot write '.txt'" in errors[7]
    # the good command in between still ran, and /help printed the command list
    assert '"a wink": arkit61, 30 frames at 30 fps' in out
    assert "/generate PROMPT [--seconds S]" in out


def test_a_model_bug_is_one_line_not_a_crash(real_take):
    class Broken(ScriptedLM):
        def answer(self, *a, **k):
            raise ValueError("boom")

    out, err, _ = _run([f"/load {real_take}", "why?", "/describe"], Broken())
    assert err.strip() == "error: ValueError: boom (a bug; --debug shows the traceback)"
    assert "lm> a 328-frame motion" in out


def test_render_writes_the_motion_under_discussion(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out, err, _ = _run(["/generate a wink --seconds 0.5", "/render", "/render sheet.png"])
    assert err == ""
    import imageio.v2 as imageio
    assert "wrote a_wink.mp4" in out and "wrote sheet.png" in out
    reader = imageio.get_reader(tmp_path / "a_wink.mp4")
    assert reader.count_frames() == 15         # 0.5 s at 30 fps
    assert imageio.imread(tmp_path / "sheet.png").ndim == 3


def test_chat_reads_piped_stdin_through_the_cli(cli, real_take, tmp_path, monkeypatch):
    """The CLI path without a trained model: piped lines reach the same REPL."""
    import tdmm_lm.app.session as session

    monkeypatch.setattr(session, "load_model", lambda path, device=None: ScriptedLM())
    monkeypatch.setattr("sys.stdin", io.StringIO(f"/load {real_take}\nhello\n/quit\n"))
    rc, out, err = cli("chat", "--model", "unused")
    assert rc == 0, err
    assert out.splitlines()[1] == "lm> hello / 328 frames / turn 1"


def test_chat_cli_refuses_a_missing_model(cli, tmp_path):
    rc, out, err = cli("chat", "--model", str(tmp_path / "nope"))
    assert rc == 2
    assert err.strip() == f"tdmm-lm: error: {tmp_path / 'nope'}: no such folder (and not a Hub repo id owner/name)"


def test_conversation_checks_seconds_against_the_model_fps():
    conv = Conversation(ScriptedLM())
    motion = conv.generate("a smile", 1.5)
    assert motion.num_frames == 45 and motion.meta["prompt"] == "a smile"
    assert np.isfinite(motion.data).all()
    assert chat(conv, stdin=io.StringIO("")) == 0
