"""``tdmm-lm describe`` and ``tdmm-lm generate`` (any generator folder), user errors."""

import re

import numpy as np
import pytest

from tdmm_lm.generators import write_kind


def test_describe_the_real_take(cli, tiny_lm_run, real_take):
    rc, out, err = cli("describe", real_take, "--model", tiny_lm_run)
    assert rc == 0, err
    rc2, out2, _ = cli("describe", real_take, "--model", tiny_lm_run)
    assert out2 == out and "<motion_" not in out                  # greedy and text only
    rc, out, err = cli("describe", real_take, "--model", tiny_lm_run, "--question", "Which eye winks?")
    assert rc == 0, err
    rc, out, err = cli("describe", real_take, "--model", tiny_lm_run, "--calibrate")
    assert rc == 0 and out.strip(), err


def test_describe_calibrate_refuses_flame_motion(cli, tiny_lm_run, tmp_path):
    from tdmm_lm.motion import FLAME, Motion, flame_channels, save
    channels = flame_channels(50)
    path = save(Motion(np.zeros((30, len(channels)), np.float32), 30.0, FLAME, channels),
                tmp_path / "flame.npz")
    rc, _, err = cli("describe", path, "--model", tiny_lm_run, "--calibrate")
    assert rc == 2 and "flame.npz: --calibrate reads ARKit takes" in err
    assert len(err.strip().splitlines()) == 1, err


def test_describe_a_take_with_tracking_loss_piece_by_piece(cli, tiny_lm_run, real_take):
    """S88 loses tracking three times: refused by default (the error names --gaps), one answer
    per piece with --gaps split, one for the whole take with --gaps fill (each one line per
    window of what the model reads at once)."""
    take = real_take.parent / "alexdjulin_S88-001.csv"
    rc, _, err = cli("describe", take, "--model", tiny_lm_run)
    assert rc == 2 and "--gaps split" in err
    rc, out, err = cli("describe", take, "--model", tiny_lm_run, "--gaps", "split")
    assert rc == 0, err
    lines = out.strip().splitlines()
    heads = [line for line in lines if not line.startswith("  ")]
    # three long losses make at least 4 pieces (split also cuts at the short gaps)
    n = len(heads)
    assert n >= 4 and all(line.startswith(f"piece {k}/{n} (") for k, line in enumerate(heads, 1))
    windows = [line for line in lines if line.startswith("  ")]
    assert windows and all(re.match(r"  \d+\.\d-\d+\.\d s: ", line) for line in windows)
    rc, out, err = cli("describe", take, "--model", tiny_lm_run, "--gaps", "fill")
    assert rc == 0, err
    lines = out.strip().splitlines()
    assert len(lines) > 1 and all(re.match(r"\d+\.\d-\d+\.\d s: ", line) for line in lines)


@pytest.mark.parametrize("ext", [".csv", ".npz"])
def test_generate_writes_the_asked_duration(cli, tiny_lm_run, tmp_path, ext):
    from tdmm_lm.motion import load
    out = tmp_path / f"smile{ext}"
    rc, stdout, err = cli("generate", "A person smiles broadly.", "--model", tiny_lm_run, "-o", out,
                          "--seconds", "1.5", "--seed", "4")
    assert rc == 0, err
    motion = load(out)
    assert motion.num_frames == 45 and motion.format.name == "arkit61" and "45 frames" in stdout


def test_generate_renders_a_sheet(cli, tiny_lm_run, tmp_path):
    from PIL import Image
    rc, _, err = cli("generate", "Someone winks their left eye.", "--model", tiny_lm_run,
                     "-o", tmp_path / "wink.png", "--seconds", "1")
    assert rc == 0, err
    assert Image.open(tmp_path / "wink.png").size[0] > 300


class _Still:
    """A registered stand-in generator: proves `generate` goes through the registry."""
    name, fps = "still", 25.0

    def generate(self, texts, lengths, *, seed):
        from tdmm_lm.motion import ARKIT61, Motion
        n = lengths[0] if lengths else 10
        return [Motion(np.full((n, 61), 0.25, np.float32), self.fps, "arkit61", ARKIT61.channels)]


def _build_still(checkpoint, context):
    return _Still()


def test_generate_loads_any_generator_folder(cli, tmp_path, monkeypatch):
    from tdmm_lm import generators
    from tdmm_lm.motion import load
    monkeypatch.setitem(generators._GENERATORS, "still", f"{__name__}:_build_still")
    write_kind(tmp_path, "still")
    rc, _, err = cli("generate", "anything", "--model", tmp_path, "-o", tmp_path / "x.csv", "--seconds", "2")
    assert rc == 0, err
    motion = load(tmp_path / "x.csv")
    assert motion.num_frames == 50 and np.allclose(motion.data[:, 0], 0.25)   # round(2 s x 25 fps)


@pytest.mark.parametrize("args, message", [
    (["generate", "x", "--model", "{tmp}", "-o", "{tmp}/a.txt"], "cannot write"),
    (["generate", "x", "--model", "{tmp}", "-o", "{tmp}/a.csv"], "not a generator checkpoint"),
    (["generate", "x", "--model", "{run}", "-o", "{tmp}/a.csv", "--seconds", "-1"],
     "--seconds must be a positive number"),
    (["describe", "{tmp}/missing.csv", "--model", "{run}"], "missing.csv"),
    (["describe", "{take}", "--model", "{tmp}"], "not a TDMM-LM model"),
])
def test_user_errors_exit_2_with_one_line(cli, tmp_path, tiny_lm_run, real_take, args, message):
    filled = [a.format(tmp=tmp_path, run=tiny_lm_run, take=real_take) for a in args]
    rc, _, err = cli(*filled)
    assert rc == 2 and message in err and len(err.strip().splitlines()) == 1, err
