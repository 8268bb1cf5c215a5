"""Hostile and careless input against the command line: every case is refused with one line on
stderr and exit status 2 (never a traceback), before any large allocation, and no flag is
silently ignored. The files are tiny and built here; limits are lowered with the ``TDMM_MAX_*``
variables where a real-size input would be slow. Memory is measured (``ru_maxrss`` of a child
process) where the unbounded behaviour was to allocate gigabytes.

Issue [hardening] classes and their tests:
  resources         test_refused[*limit*], test_memory_stays_bounded, test_model_config_size
  publish symlinks  tests/hub/test_publish.py::test_publish_refuses_a_symlink_leaving_the_folder (+2)
  lost data         test_failed_overwrite_keeps_the_dataset, test_killed_write_keeps_the_old_file
  ignored flags     test_refused[fps*|seconds*|question*], test_t2m_gpt_honours_seconds,
                    test_mdm_refuses_seconds_beyond_its_maximum
  injection         tests/lm/test_prompts.py::test_user_text_cannot_produce_special_or_motion_tokens
  tracebacks        test_refused[*], test_serve_*, test_chat_exits_2_after_errors
  pickles           tests/test_hostile.py::test_pickle_*
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.tiny import make_tokenizer, random_motion

ROOT = Path(__file__).resolve().parents[1]
GIB = 1024 ** 3


def one_line_error(rc: int, err: str) -> str:
    """The single error line of a refused command (asserting the contract on the way)."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert rc == 2, err
    assert "Traceback" not in err, err
    assert len(lines) == 1 and lines[0].startswith("tdmm-lm: error: "), err
    assert len(lines[0]) < 400, lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A tokenizer folder, motion files, a rig and model folders, each one hostile variant."""
    from tdmm_lm.baselines.generator import save_checkpoint
    from tdmm_lm.baselines.mdm.modeling import MDM
    from tdmm_lm.motion import ARKIT61, save

    root = tmp_path_factory.mktemp("hostile")
    tok = make_tokenizer(levels=2)
    tok.save_pretrained(root / "tok")
    motion = random_motion(40)
    save(motion, root / "take.npz")
    save(motion, root / "take.csv")
    good = dict(np.load(root / "take.npz"))
    for name, change in {"fps_text": {"fps": np.array("fast")}, "fps_array": {"fps": np.ones(2)},
                         "meta_broken": {"meta_json": np.array("{oops")},
                         "meta_list": {"meta_json": np.array("[1, 2]")},
                         "data_text": {"data": np.array([["a"] * 61])}}.items():
        np.savez(root / f"{name}.npz", **{**good, **change})
    (root / "long_line.csv").write_text("Timecode,BlendShapeCount," + "x" * 5000 + "\n")
    (root / "huge_code.txt").write_text("1 " + "9" * 5000)
    (root / "int64_code.txt").write_text("99999999999999999999 0")
    (root / "many_codes.txt").write_text("0 1 " * 300_000)    # over the default 200k codes
    from tdmm_lm.geometry.procedural_rig import procedural_rig
    procedural_rig().save(root / "rig.npz")
    rig = dict(np.load(root / "rig.npz"))
    np.savez(root / "rig_text.npz", **{**rig, "neutral": np.array([["a", "b", "c"]])})
    np.savez(root / "rig_float_triangles.npz", **{**rig, "triangles": rig["triangles"] + 0.5})
    _variant(root / "tok", root / "tok_no_weights", lambda d: (d / "model.safetensors").unlink())
    _variant(root / "tok", root / "tok_text_width", _patch(["vq", "model", "width"], "wide"))
    _variant(root / "tok", root / "tok_huge", _patch(["vq", "model", "width"], 100_000))
    mdm = MDM({"width": 16, "layers": 1, "heads": 2, "ff_size": 32, "max_frames": 30, "fps": 15,
               "sample_steps": 2}, "arkit61", list(ARKIT61.channels), 15.0, "minilm", 384, 15)
    save_checkpoint(mdm, root / "mdm", "mdm")
    _variant(root / "mdm", root / "mdm_no_weights", lambda d: (d / "model.safetensors").unlink())
    _variant(root / "mdm", root / "mdm_text_fps", _patch(["fps"], "fast"))
    _variant(root / "mdm", root / "mdm_huge", _patch(["mdm", "width"], 400_000))
    (root / "not_a_model").mkdir()
    (root / "not_a_model" / "config.json").write_text("{}")
    _variant(root / "mdm", root / "mdm_bad_encoder", _patch(["text_encoder"],
                                                             str(root / "not_a_model")))
    (root / "a_file").write_text("not a folder")
    return root


def _variant(src: Path, dst: Path, change) -> None:
    shutil.copytree(src, dst)
    change(dst)


def _patch(keys: list[str], value):
    def change(folder: Path) -> None:
        config = json.loads((folder / "config.json").read_text())
        node = config
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value
        (folder / "config.json").write_text(json.dumps(config))
    return change


# (argv with {root} for the files folder, environment, a phrase the error line must contain)
CASES = {
    "npz_fps_text": (["motion", "inspect", "{root}/fps_text.npz"], {}, "'fps' must be one number"),
    "npz_fps_array": (["motion", "inspect", "{root}/fps_array.npz"], {}, "'fps' must be one number"),
    "npz_meta_broken": (["motion", "inspect", "{root}/meta_broken.npz"], {}, "not valid JSON"),
    "npz_meta_list": (["motion", "inspect", "{root}/meta_list.npz"], {}, "must be a JSON object"),
    "npz_data_text": (["motion", "inspect", "{root}/data_text.npz"], {}, "expected numbers"),
    "csv_line_limit": (["motion", "inspect", "{root}/long_line.csv"],
                       {"TDMM_MAX_CSV_LINE_BYTES": "1000"}, "line longer than 1000 bytes"),
    "csv_frames_limit": (["motion", "inspect", "{root}/take.csv"],
                         {"TDMM_MAX_MOTION_FRAMES": "10"}, "more than 10 frames"),
    "npz_frames_limit": (["motion", "inspect", "{root}/take.npz"],
                         {"TDMM_MAX_MOTION_FRAMES": "10"}, "over the limit of 10"),
    "file_bytes_limit": (["motion", "inspect", "{root}/take.csv"],
                         {"TDMM_MAX_FILE_BYTES": "100"}, "file size in bytes"),
    "fps_zero": (["motion", "convert", "{root}/take.npz", "{out}/o.npz", "--fps", "0"], {},
                 "must be a positive number"),
    "fps_negative": (["motion", "convert", "{root}/take.npz", "{out}/o.npz", "--fps", "-5"], {},
                     "must be a positive number"),
    "fps_nan": (["motion", "convert", "{root}/take.npz", "{out}/o.npz", "--fps", "nan"], {},
                "must be a positive number"),
    "fps_inf": (["motion", "convert", "{root}/take.npz", "{out}/o.npz", "--fps", "inf"], {},
                "must be a positive number"),
    "fps_limit": (["motion", "convert", "{root}/take.npz", "{out}/o.npz", "--fps", "1e9"], {},
                  "over the limit"),
    "rig_text": (["render", "{root}/take.npz", "--rig", "{root}/rig_text.npz", "-o", "{out}/r.png"],
                 {}, "expected numbers"),
    "rig_float_triangles": (["render", "{root}/take.npz", "--rig", "{root}/rig_float_triangles.npz",
                             "-o", "{out}/r.png"], {}, "integer vertex indices"),
    "code_huge_integer": (["vq", "decode", "{root}/huge_code.txt", "--model", "{root}/tok", "-o",
                           "{out}/d.npz"], {}, "is not an integer code"),
    "code_over_int64": (["vq", "decode", "{root}/int64_code.txt", "--model", "{root}/tok", "-o",
                         "{out}/d.npz"], {}, "is not an integer code"),
    "codes_limit": (["vq", "decode", "{root}/many_codes.txt", "--model", "{root}/tok", "-o",
                     "{out}/d.npz"], {}, "TDMM_MAX_DECODE_CODES"),
    "tokenizer_no_weights": (["vq", "encode", "{root}/take.npz", "--model", "{root}/tok_no_weights"],
                             {}, "model.safetensors"),
    "tokenizer_text_width": (["vq", "encode", "{root}/take.npz", "--model", "{root}/tok_text_width"],
                             {}, "width must be an integer"),
    "tokenizer_huge": (["vq", "encode", "{root}/take.npz", "--model", "{root}/tok_huge"], {},
                       "TDMM_MAX_NETWORK_PARAMETERS"),
    "mdm_no_weights": (["generate", "smile", "--model", "{root}/mdm_no_weights", "-o", "{out}/g.npz"],
                       {}, "model.safetensors is missing"),
    "mdm_text_fps": (["generate", "smile", "--model", "{root}/mdm_text_fps", "-o", "{out}/g.npz"], {},
                     "cannot load a mdm model"),
    "mdm_huge": (["generate", "smile", "--model", "{root}/mdm_huge", "-o", "{out}/g.npz"], {},
                 "TDMM_MAX_NETWORK_PARAMETERS"),
    "text_encoder_not_a_model": (["generate", "smile", "--model", "{root}/mdm_bad_encoder", "-o",
                                  "{out}/g.npz"], {}, "cannot load a Hugging Face model"),
    "seconds_nan": (["generate", "smile", "--model", "{root}/mdm", "-o", "{out}/g.npz", "--seconds",
                     "nan"], {}, "positive number of seconds"),
    "seconds_inf": (["generate", "smile", "--model", "{root}/mdm", "-o", "{out}/g.npz", "--seconds",
                     "inf"], {}, "positive number of seconds"),
    "seconds_zero": (["generate", "smile", "--model", "{root}/mdm", "-o", "{out}/g.npz", "--seconds",
                      "0"], {}, "positive number of seconds"),
    "seconds_limit": (["generate", "smile", "--model", "{root}/mdm", "-o", "{out}/g.npz", "--seconds",
                       "1e9"], {}, "TDMM_MAX_GENERATE_SECONDS"),
    "seconds_beyond_mdm": (["generate", "smile", "--model", "{root}/mdm", "-o", "{out}/g.npz",
                            "--seconds", "60"], {}, "mdm generates at most 2 s"),
    "device_missing_gpu": (["generate", "smile", "--model", "{root}/mdm", "-o", "{out}/g.npz",
                            "--device", "cuda:7"], {}, "--device cuda:7"),
    "device_nonsense": (["generate", "smile", "--model", "{root}/mdm", "-o", "{out}/g.npz",
                         "--device", "toaster"], {}, "is not a torch device"),
    "question_empty": (["describe", "{root}/take.npz", "--model", "{root}/mdm", "--question", ""],
                       {}, "--question is empty"),
    "question_blank": (["describe", "{root}/take.npz", "--model", "{root}/mdm", "--question", "  "],
                       {}, "--question is empty"),
    "serve_port": (["serve", "--model", "{root}/mdm", "--port", "99999"], {}, "--port must be in"),
    "results_dir_is_a_file": (["eval", "run", "{out}/bench.yaml", "--results-dir", "{root}/a_file"],
                              {}, "is a file, not a folder"),
}


def _bench(out: Path) -> None:
    (out / "bench.yaml").write_text("name: hostile\ndataset: nowhere\nextractor: nowhere\n"
                                    "generators: [ground-truth]\n")


@pytest.mark.parametrize("case", sorted(CASES))
def test_refused(case, files, tmp_path, cli, monkeypatch):
    argv, env, phrase = CASES[case]
    if case == "device_missing_gpu":
        import torch
        if torch.cuda.is_available() and torch.cuda.device_count() > 7:
            pytest.skip("this machine has a cuda:7")
    _bench(tmp_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    rc, out, err = cli(*[a.format(root=files, out=tmp_path) for a in argv])
    assert phrase in one_line_error(rc, err)
    assert "serving on" not in out
    assert not list(tmp_path.glob("*.npz")) and not list(tmp_path.glob("*.png"))   # nothing written


@pytest.mark.parametrize("model_yaml", ["5", "[1, 2]"])
@pytest.mark.parametrize("command,config", [
    (["vq", "train"], "configs/vqvae/tiny.yaml"), (["llm", "train"], "configs/lm/tiny.yaml"),
    (["baseline", "train", "mdm"], "configs/baselines/mdm_tiny.yaml")])
def test_yaml_model_section_of_the_wrong_type(command, config, model_yaml, tmp_path, cli):
    import re
    text = (ROOT / config).read_text()
    bad = re.sub(r"^model:.*\n(?:[ \t]+.*\n|[ \t]*#.*\n)*", f"model: {model_yaml}\n", text, flags=re.M)
    assert bad != text
    (tmp_path / "c.yaml").write_text(bad)
    rc, _, err = cli(*command, "--config", tmp_path / "c.yaml")
    assert "model must be a mapping" in one_line_error(rc, err)


def test_vq_eval_limit_zero(cli, files, tiny_dataset):
    rc, _, err = cli("vq", "eval", "--model", files / "tok", "--dataset", tiny_dataset, "--limit", "0")
    assert "--limit must be at least 1" in one_line_error(rc, err)


def test_serve_warns_when_not_loopback(cli, tmp_path):
    rc, out, err = cli("serve", "--model", tmp_path / "missing", "--host", "0.0.0.0")
    assert rc == 2 and "serving on" not in out and "Traceback" not in err
    warning, error = [line for line in err.splitlines() if line.strip()]
    assert "--host 0.0.0.0 exposes the demo" in warning
    assert error.startswith("tdmm-lm: error: ")


def test_chat_exits_2_after_errors():
    import io

    from tdmm_lm.app.chat import Chat
    session = Chat(conversation=None, out=io.StringIO(), err=io.StringIO())
    assert session.run(["/frobnicate"]) == 2
    assert Chat(conversation=None, out=io.StringIO(), err=io.StringIO()).run(["/help"]) == 0


# ---- lengths are honoured or refused -------------------------------------------------------------

def test_mdm_refuses_seconds_beyond_its_maximum(cli, files, tmp_path):
    rc, out, err = cli("generate", "a smile", "--model", files / "mdm", "-o", tmp_path / "g.npz",
                       "--seconds", "1.5")
    assert rc == 0, err
    assert "(22 frames at 15 fps, 1.47 s)" in out or "(23 frames at 15 fps, 1.53 s)" in out
    rc, _, err = cli("generate", "a smile", "--model", files / "mdm", "-o", tmp_path / "g.npz",
                     "--seconds", "3")
    assert "at most 2 s (30 frames at 15 fps)" in one_line_error(rc, err)


def test_t2m_gpt_honours_seconds(files, tmp_path, cli):
    """An untrained T2M-GPT ends its motions at random; asked for 2 s it now gives 2 s."""
    import torch

    from tdmm_lm.baselines.generator import save_checkpoint
    from tdmm_lm.baselines.t2m_gpt.configuration import T2MGPTConfig
    from tdmm_lm.baselines.t2m_gpt.modeling import T2MGPT
    from tdmm_lm.vqvae import MotionTokenizer

    torch.manual_seed(0)
    tok = MotionTokenizer.from_pretrained(str(files / "tok"))
    model = T2MGPT.build(T2MGPTConfig(width=16, layers=1, heads=2), tok, "minilm", 384, 40)
    save_checkpoint(model, tmp_path / "t2m", "t2m-gpt")
    assert model.max_frames == 40 // tok.levels * tok.downsample       # 80 frames, 2.67 s at 30 fps
    for seconds, frames in (("2", 60), ("0.5", 15), ("1.1", 33)):
        rc, out, err = cli("generate", "a smile", "--model", tmp_path / "t2m", "-o",
                           tmp_path / "g.npz", "--seconds", seconds)
        assert rc == 0, err
        assert f"({frames} frames at 30 fps" in out
    rc, _, err = cli("generate", "a smile", "--model", tmp_path / "t2m", "-o", tmp_path / "g.npz",
                     "--seconds", "5")
    assert "t2m-gpt generates at most 2.66667 s (80 frames" in one_line_error(rc, err)


# ---- data is never lost --------------------------------------------------------------------------

def test_failed_overwrite_keeps_the_dataset(cli, tmp_path):
    out = tmp_path / "facescript"
    assert cli("data", "synth", "--out", out, "--num-samples", "12", "--num-subjects", "4")[0] == 0
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    rc, _, err = cli("data", "synth", "--out", out, "--num-samples", "0", "--overwrite")
    one_line_error(rc, err)
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert [p.name for p in tmp_path.iterdir()] == ["facescript"]     # no scratch folder left
    rc, _, err = cli("data", "synth", "--out", out, "--num-samples", "12", "--num-subjects", "4",
                     "--seed", "3", "--overwrite")
    assert rc == 0, err
    assert (out / "dataset_dict.json").is_file() and [p.name for p in tmp_path.iterdir()] == [
        "facescript"]


def test_killed_write_keeps_the_old_file(tmp_path, monkeypatch):
    """A writer that dies half-way leaves the user's file as it was; the next write clears the
    scratch file of a process that is gone."""
    from tdmm_lm.motion import io, load, save

    path = tmp_path / "take.csv"
    save(random_motion(30), path)
    old = path.read_bytes()

    def dies_half_way(motion, target):
        Path(target).write_text("Timecode,BlendShapeCount,Eye")
        raise KeyboardInterrupt
    monkeypatch.setattr(io.livelinkface, "write_csv", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        save(random_motion(60, seed=1), path)
    assert path.read_bytes() == old and [p.name for p in tmp_path.iterdir()] == ["take.csv"]
    monkeypatch.undo()
    (tmp_path / ".take.csv.partial-999999999-x.csv").write_text("left by a killed run")
    save(random_motion(60, seed=1), path)
    assert load(path).num_frames == 60 and [p.name for p in tmp_path.iterdir()] == ["take.csv"]


# ---- memory stays bounded --------------------------------------------------------------------------

# peak resident memory of this program alone: VmHWM belongs to the address space exec made (getrusage's
# ru_maxrss also keeps the forking pytest's peak, gigabytes late in the suite)
CHILD = ("import re, sys\nfrom tdmm_lm.cli import main\nrc = main(sys.argv[1:])\n"
         "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
         "sys.stderr.write('MAXRSS %s\\n' % hwm)\n"
         "sys.exit(rc)")


def run_measured(*argv, env: dict | None = None) -> tuple[int, str, int]:
    """``tdmm-lm ARGV`` in a child process: (exit status, stderr without the measure, peak
    resident memory in bytes)."""
    proc = subprocess.run([sys.executable, "-c", CHILD, *map(str, argv)], capture_output=True,
                          text=True, timeout=300, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
    lines = proc.stderr.splitlines()
    peak = int(next(line for line in lines if line.startswith("MAXRSS")).split()[1]) * 1024
    return proc.returncode, "\n".join(line for line in lines if not line.startswith("MAXRSS")), peak


@pytest.mark.parametrize("case", ["codes", "pickle_bytearray", "pickle_array", "csv_rows"])
def test_memory_stays_bounded(case, files, tmp_path):
    """Inputs that used to allocate gigabytes are refused under 2 GB (the interpreter with torch
    takes about 0.5 GB)."""
    if case == "codes":
        argv, env = ["vq", "decode", files / "many_codes.txt", "--model", files / "tok", "-o",
                     tmp_path / "d.npz"], {}
    elif case.startswith("pickle"):
        raw = BYTEARRAY_2GB if case == "pickle_bytearray" else ARRAY_8GB
        (tmp_path / "fit.pkl").write_bytes(raw)
        argv, env = ["motion", "inspect", tmp_path / "fit.pkl"], {}
    else:   # a long take with the row limit lowered: refused while streaming, not after parsing
        rows = "\n".join(f"{i / 60:.4f},61," + ",".join(["0.1"] * 61) for i in range(5000))
        from tdmm_lm.motion.livelinkface import csv_header
        (tmp_path / "long.csv").write_text(",".join(csv_header()) + "\n" + rows + "\n")
        argv, env = ["motion", "inspect", tmp_path / "long.csv"], {"TDMM_MAX_MOTION_FRAMES": "100"}
    rc, err, peak = run_measured(*argv, env=env)
    one_line_error(rc, err)
    assert peak < 2 * GIB, f"{case}: {peak / GIB:.2f} GiB"


# ---- the restricted unpickler is bounded ---------------------------------------------------------

# 30-odd bytes each: bytearray(2**31) and numpy's _reconstruct of a 2**30-element array
BYTEARRAY_2GB = b"\x80\x02c__builtin__\nbytearray\nJ\x00\x00\x00\x80\x85R."
ARRAY_8GB = (b"\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n"
             b"J\x00\x00\x00\x40\x85C\x01b\x87R.")


@pytest.mark.parametrize("raw,phrase", [
    (BYTEARRAY_2GB, "pickle_bytes limit"), (ARRAY_8GB, "pickle_bytes limit"),
    (b"\x80\x02c__builtin__\nlist\nc__builtin__\nrange\nJ\x00\x00\x00\x40\x85R\x85R.",
     "pickle_bytes limit"),
    (b"\x80\x02" + b"]" * 100_000 + b"a" * 99_999 + b".", "nest more than 64 levels"),
], ids=["bytearray", "array", "list_of_range", "deep"])
def test_pickle_bounded(raw, phrase, tmp_path):
    from tdmm_lm.errors import MotionFileError
    from tdmm_lm.safe_pickle import restricted_load

    (tmp_path / "x.pkl").write_bytes(raw)
    with pytest.raises(MotionFileError, match=phrase):
        restricted_load(tmp_path / "x.pkl")


def test_pickle_size_limit_and_plain_data_still_load(tmp_path, monkeypatch):
    from collections import OrderedDict

    import scipy.sparse as sp

    from tdmm_lm.errors import TdmmError
    from tdmm_lm.safe_pickle import restricted_load

    data = {"v": np.arange(12.0).reshape(3, 4), "o": OrderedDict(a=1), "s": sp.csc_matrix(np.eye(3)),
            "l": [1, (2, "x")]}
    for protocol in (0, 2, 4):
        (tmp_path / "ok.pkl").write_bytes(pickle.dumps(data, protocol=protocol))
        back = restricted_load(tmp_path / "ok.pkl")
        assert np.array_equal(back["v"], data["v"]) and back["l"] == [1, (2, "x")]
        assert (back["s"] != data["s"]).nnz == 0
    monkeypatch.setenv("TDMM_MAX_PICKLE_BYTES", "100")
    with pytest.raises(TdmmError, match="ok.pkl: file size in bytes"):
        restricted_load(tmp_path / "ok.pkl")


def test_web_errors_hide_server_temp_paths():
    import tempfile

    from tdmm_lm.app.web import public_message
    tmp = tempfile.gettempdir()
    text = f"{tmp}/gradio/3f2a/take.csv:3 column 'X': bad; {tmp}/tdmm-demo-1/a/motion.mp4 /data/x.csv"
    assert public_message(text) == "take.csv:3 column 'X': bad; motion.mp4 /data/x.csv"


@pytest.mark.parametrize("damage,phrase", [
    ("no_tokenizer", "tokenizer/ is missing"),
    ("text_number", "must be a number"),
    ("broken_weights", "cannot load the language model"),
])
def test_damaged_lm_folder(damage, phrase, tiny_lm_run, files, tmp_path, cli):
    import yaml

    run = tmp_path / "run"
    shutil.copytree(tiny_lm_run, run)
    best = run / "best" if (run / "best").is_dir() else run
    if damage == "no_tokenizer":
        shutil.rmtree(best / "tokenizer")
    elif damage == "text_number":
        cfg = yaml.safe_load((best / "config.yaml").read_text())
        cfg["generation"]["max_seconds"] = "long"
        (best / "config.yaml").write_text(yaml.safe_dump(cfg))
    else:
        weights = next(best.rglob("*.safetensors"))
        weights.write_bytes(b"not safetensors")
    rc, _, err = cli("describe", files / "take.npz", "--model", run)
    assert phrase in one_line_error(rc, err)
