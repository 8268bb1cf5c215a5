"""Real multi-process training on CPU through ``accelerate launch`` and the shipped launcher
configs, for the LM, the tokenizer and a baseline: DDP with world size 2 (gloo) and DeepSpeed
ZeRO-2 (FIELD_NOTES: the first DeepSpeed run compiles a shared-memory op, about 50 s)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
STEPS = {"steps": 4, "eval_every": 4, "checkpoint_every": 4}


def _lm_config(fixture, out):
    from tests.lm.helpers import tiny_lm_config
    return "tdmm_lm.lm.train", tiny_lm_config(fixture, out, train=STEPS).to_dict()


def _vq_config(fixture, out):
    return "tdmm_lm.vqvae.train", {
        "model": {"width": 16, "depth": 1, "codebook_size": 16, "code_dim": 8},
        "loss": {"vertex_subset": 32},
        "data": {"dataset": str(fixture.dataset), "window": 16, "max_val_samples": 2},
        "train": {"out": str(out), "batch_size": 4, **STEPS}}


def _t2m_config(fixture, out):
    from tests.baselines.conftest import tiny_config
    return "tdmm_lm.baselines.train", tiny_config("t2m-gpt", fixture, out, **STEPS).to_dict()


TRAINERS = {"lm": _lm_config, "tokenizer": _vq_config, "t2m-gpt": _t2m_config}
LAUNCHERS = {
    "ddp": (["--config_file", "configs/accelerate/cpu_2proc.yaml"], {"ACCELERATE_USE_CPU": "1"},
            "MULTI_CPU"),
    "zero2": (["--config_file", "configs/accelerate/zero2.yaml", "--num_processes", "2",
               "--mixed_precision", "no"], {"DS_ACCELERATOR": "cpu"}, "DEEPSPEED"),
}


@pytest.mark.slow
@pytest.mark.parametrize("launcher", sorted(LAUNCHERS))
@pytest.mark.parametrize("trainer", sorted(TRAINERS))
def test_two_processes_train_and_save(trainer, launcher, tmp_path, tiny_tokenized):
    module, config = TRAINERS[trainer](tiny_tokenized, tmp_path / "run")
    config["train"]["num_threads"] = 1
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    args, env_extra, kind = LAUNCHERS[launcher]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", **env_extra}
    cmd = [sys.executable, "-m", "accelerate.commands.launch", *args, "-m", module,
           "--config", str(tmp_path / "config.yaml"), "--no-progress"]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=540)
    # a crash on one rank shows on the other as "connection closed": keep every error line
    errors = [line for line in done.stderr.splitlines() if "Error" in line]
    assert done.returncode == 0, "\n".join(errors[:20]) + "\n...\n" + done.stderr[-2000:]
    state = json.loads((tmp_path / "run" / "last" / "trainer_state.json").read_text())
    assert state["world_size"] == 2 and state["distributed_type"].endswith(kind)
    assert state["step"] == 4 and state["best_step"] == 4
    from tdmm_lm.artifacts import artifact_kind
    assert artifact_kind(tmp_path / "run" / "best") is not None   # a loadable deliverable
    if trainer == "lm" and launcher == "ddp":
        from tdmm_lm.lm.tdmmlm import TDMMLM
        lm = TDMMLM.from_pretrained(str(tmp_path / "run"))
        assert lm.generate(["A person smiles."], [12])[0].num_frames == 12
