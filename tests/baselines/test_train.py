"""The shared training loop for both baselines: a few CPU steps, the checkpoint layout, exact
save/load, exact resume, the CLI and the ``tdmm-lm generate`` path."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import yaml

from tdmm_lm.baselines.registry import BASELINES
from tests.baselines.conftest import tiny_config

KINDS = tuple(BASELINES)
PROMPT = "A person smiles widely."


@pytest.mark.parametrize("kind", KINDS)
def test_training_steps_write_a_loadable_checkpoint(tiny_runs, kind):
    from tdmm_lm.artifacts import artifact_kind, resolve_artifact
    run = tiny_runs[kind]
    best = run / "best"
    assert {"config.json", "model.safetensors", "generator.json", "config.yaml",
            "metrics.json"} <= {p.name for p in best.iterdir()}
    assert artifact_kind(best) == kind and resolve_artifact(run, kind) == best
    state = json.loads((run / "last" / "trainer_state.json").read_text())
    assert state["step"] == 4 and state["best_step"] in (2, 4)
    records = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    val = [r["val"]["loss"] for r in records if "val" in r]
    assert len(val) == 2 and all(np.isfinite(val))
    assert json.loads((best / "metrics.json").read_text())["loss"] == pytest.approx(min(val))


@pytest.mark.parametrize("kind", KINDS)
def test_save_load_gives_identical_samples(tiny_runs, kind, tmp_path):
    from tdmm_lm.generators import load_generator
    gen = load_generator(tiny_runs[kind])
    assert gen.name == kind
    first = gen.generate([PROMPT, "Someone blinks twice."], [20, 12], seed=3)
    gen.save_pretrained(tmp_path / "copy")
    again = load_generator(tmp_path / "copy").generate([PROMPT, "Someone blinks twice."], [20, 12], seed=3)
    other = gen.generate([PROMPT, "Someone blinks twice."], [20, 12], seed=4)
    for a, b in zip(first, again):
        assert a.fps == b.fps == gen.fps and a.channels == b.channels
        np.testing.assert_array_equal(a.data, b.data)
    assert any(a.data.shape != c.data.shape or not np.allclose(a.data, c.data)
               for a, c in zip(first, other))
    if kind == "mdm":  # MDM honours lengths; T2M-GPT chooses its own
        assert [m.num_frames for m in first] == [20, 12]


def test_mdm_checkpoint_holds_the_ema_weights(tiny_runs):
    """ema_decay 0.5 in the fixture: best/ must hold the average, not the raw last weights."""
    from safetensors.torch import load_file
    state = json.loads((tiny_runs["mdm"] / "last" / "trainer_state.json").read_text())
    if state["best_step"] != 4:
        pytest.skip("best/ is not the last step here")
    best = load_file(str(tiny_runs["mdm"] / "best" / "model.safetensors"))
    raw = load_file(str(tiny_runs["mdm"] / "last" / "model.safetensors"))
    name = "out_proj.weight"
    assert not torch.equal(best[name], raw[name])


def test_resume_continues_exactly(tiny_tokenized, tmp_path):
    """4 steps, then a resume to 6 through the ``python -m tdmm_lm.baselines.train`` entry point
    that ``accelerate launch`` runs, equals 6 steps straight (a constant learning rate, so the
    schedule does not depend on the planned step count)."""
    from safetensors.torch import load_file

    from tdmm_lm.baselines.train import main, train
    constant = {"warmup_steps": 0, "min_lr_ratio": 1.0}
    resumed = tmp_path / "resumed"
    cfg = tiny_config("t2m-gpt", tiny_tokenized, resumed, **constant)
    train(cfg, progress=False)
    config = tmp_path / "t2m.yaml"
    config.write_text("# tdmm-lm baseline train t2m-gpt --config t2m.yaml\n" + yaml.safe_dump(cfg.to_dict()))
    assert main(["--config", str(config), "--steps", "6", "--no-progress"]) == 0
    train(tiny_config("t2m-gpt", tiny_tokenized, tmp_path / "straight", steps=6, **constant),
          progress=False)
    a = load_file(str(resumed / "last" / "model.safetensors"))
    b = load_file(str(tmp_path / "straight" / "last" / "model.safetensors"))
    assert json.loads((resumed / "last" / "trainer_state.json").read_text())["step"] == 6
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=0, atol=1e-6, msg=name)


def test_cli_errors_are_one_line(cli, tiny_tokenized, tmp_path):
    cfg = tiny_config("mdm", tiny_tokenized, tmp_path / "run")
    path = tmp_path / "mdm.yaml"
    path.write_text(yaml.safe_dump(cfg.to_dict()))
    rc, _, err = cli("baseline", "train", "t2m-gpt", "--config", path)
    assert rc == 2 and "is a mdm config, not t2m-gpt" in err
    raw = cfg.to_dict()
    raw["model"]["heads"] = 5
    path.write_text(yaml.safe_dump(raw))
    rc, _, err = cli("baseline", "train", "mdm", "--config", path)
    assert rc == 2 and "model.width must be a multiple of model.heads" in err
    t2m = tiny_config("t2m-gpt", tiny_tokenized, tmp_path / "t2m").to_dict()
    t2m["data"]["motion_tokenizer"] = ""
    path.write_text(yaml.safe_dump(t2m))
    rc, _, err = cli("baseline", "train", "t2m-gpt", "--config", path)
    assert rc == 2 and "needs the motion tokenizer" in err and err.count("\n") == 1


def test_generate_command_reads_a_baseline_run(cli, tiny_runs, tmp_path):
    from tdmm_lm.motion import load
    out = tmp_path / "smile.csv"
    rc, stdout, err = cli("generate", PROMPT, "--model", tiny_runs["mdm"], "-o", out, "--seconds", "2")
    assert rc == 0, err
    motion = load(out)
    assert motion.num_frames == 30 and motion.format.name == "arkit61"  # 2 s at MDM's 15 fps
