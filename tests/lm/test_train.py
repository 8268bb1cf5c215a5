"""Training: resumes exactly, both L2M modes save/load/generate, LoRA runs on a local base
(the hub-id code path) merge and export, and the loop learns."""

import json

import numpy as np
import pytest
import torch

from tdmm_lm.lm.tdmmlm import TDMMLM
from tdmm_lm.lm.train import train
from tests.lm.helpers import tiny_lm_config


def _weights(run):
    from safetensors.torch import load_file
    return load_file(str(run / "best" / "model" / "model.safetensors"))


def test_resume_continues_bitwise(tiny_tokenized, tmp_path):
    """A run stopped after its first step (train.max_minutes) and resumed by re-running the same
    command ends with the weights of an uninterrupted run."""
    steps = {"steps": 12, "eval_every": 6, "checkpoint_every": 6, "warmup_steps": 2}
    train(tiny_lm_config(tiny_tokenized, tmp_path / "a", train=steps), progress=False)
    b = tmp_path / "b"
    train(tiny_lm_config(tiny_tokenized, b, train={**steps, "max_minutes": 1e-9}), progress=False)
    assert json.loads((b / "last" / "trainer_state.json").read_text())["step"] == 1  # stopped early
    train(tiny_lm_config(tiny_tokenized, b, train=steps), progress=False)
    log = [json.loads(line) for line in (b / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if "val" in r] == [1, 6, 12]    # resumed, not restarted
    wa, wb = _weights(tmp_path / "a"), _weights(b)
    for k in wa:
        torch.testing.assert_close(wb[k], wa[k], rtol=0, atol=1e-6)


@pytest.mark.parametrize("features", ["minilm", "lm"])
def test_prefix_mode_trains_saves_and_generates(tiny_tokenized, tmp_path, features):
    cfg = tiny_lm_config(tiny_tokenized, tmp_path / "run", l2m={"mode": "prefix", "text_features": features},
                         train={"steps": 6, "eval_every": 6, "checkpoint_every": 6})
    best = train(cfg, progress=False)
    assert (best / "prefix" / "model.safetensors").is_file()
    lm = TDMMLM.from_pretrained(str(tmp_path / "run"))
    assert lm.prefix is not None and lm.prefix.text_features == features
    a = lm.generate(["A person smiles.", "Someone winks their right eye."], [41, None], seed=2)
    assert a[0].num_frames == 41 and 0 < a[1].num_frames <= lm.cfg.generation.max_seconds * lm.fps
    b = lm.generate(["A person smiles.", "Someone winks their right eye."], [41, None], seed=2)
    assert all(np.array_equal(x.data, y.data) for x, y in zip(a, b))
    metrics = json.loads((best / "metrics.json").read_text())
    assert 0 <= metrics["l2m_token_accuracy"] <= 1 and metrics["m2l_loss"] > 0


def test_lora_on_a_local_base_merges_and_exports(tiny_tokenized, tmp_path, cli):
    """``--base-model FOLDER`` takes the code path of a hub id; the LoRA run merges to full weights."""
    from transformers import AutoModelForCausalLM

    from tdmm_lm.lm.model import build_tiny_base
    from tdmm_lm.lm.prompts import template_texts

    cfg = tiny_lm_config(tiny_tokenized, tmp_path / "run",
                         train={"steps": 4, "eval_every": 4, "checkpoint_every": 4})
    base = build_tiny_base(cfg.model.tiny, template_texts() * 3, tmp_path / "base")
    cfg.save_yaml(tmp_path / "config.yaml")
    rc, out, err = cli("llm", "train", "--config", tmp_path / "config.yaml", "--base-model", base,
                       "--finetune", "lora", "--no-progress")
    assert rc == 0, err
    run = tmp_path / "run" / "best"
    assert (run / "adapter").is_dir() and not (run / "base").exists() and not (tmp_path / "run" / "base").exists()
    rc, out, err = cli("llm", "merge-and-export", tmp_path / "run", "--out", tmp_path / "merged")
    assert rc == 0, err
    lora, merged = TDMMLM.from_pretrained(str(tmp_path / "run")), TDMMLM.from_pretrained(str(tmp_path / "merged"))
    assert hasattr(lora.model, "peft_config") and not hasattr(merged.model, "peft_config")
    plain = AutoModelForCausalLM.from_pretrained(str(tmp_path / "merged" / "model"))
    ids = torch.tensor([lora.vocab.to_ids([0, 32, 1, 33, 2, 34])])
    with torch.no_grad():
        reference = lora.model(input_ids=ids).logits
        torch.testing.assert_close(merged.model(input_ids=ids).logits, reference, atol=1e-4, rtol=0)
        torch.testing.assert_close(plain(input_ids=ids).logits, reference, atol=1e-4, rtol=0)
    assert merged.generate(["A person smiles."], [20])[0].num_frames == 20


@pytest.mark.slow
def test_the_loop_learns_both_directions(tiny_tokenized, tmp_path):
    """On four clips, a short run learns to name each clip's primary action (M2L) and to write
    its motion codes (L2M token accuracy), far above an untrained model."""
    from tdmm_lm.data.facescript.judge import primary_action
    from tdmm_lm.data.facescript.parse import parse_description
    from tdmm_lm.data.schema import load_dataset_dict, row_motion
    from tdmm_lm.lm.batches import load_clips
    from tdmm_lm.lm.scoring import score

    dd = load_dataset_dict(str(tiny_tokenized.dataset))
    four = dd["train"].select(range(4))
    dd["train"], dd["validation"] = four, four
    dd.save_to_disk(str(tmp_path / "four"))
    data = type(tiny_tokenized)(dataset=tmp_path / "four", tokenizer=tiny_tokenized.tokenizer)
    cfg = tiny_lm_config(data, tmp_path / "run", data={"tasks": {"describe": 1.0, "generate": 1.0}},
                         train={"steps": 150, "batch_size": 8, "eval_every": 150,
                                "checkpoint_every": 150, "warmup_steps": 10})
    train(cfg, progress=False)
    lm = TDMMLM.from_pretrained(str(tmp_path / "run"))
    texts = lm.describe([row_motion(r) for r in four], seed=0)
    named = [primary_action(r["attributes"])[0] in [a for a, _ in parse_description(t).actions]
             for r, t in zip(four, texts)]
    assert sum(named) >= 3, texts
    metrics = score(lm.model, lm.tokenizer, lm.vocab, load_clips(four, lm.motion_tokenizer.tokens_per_second),
                    max_length=256)
    assert metrics["l2m_token_accuracy"] > 0.8, metrics


def test_halves_trained_apart_join_into_one_model(tiny_tokenized, tmp_path, cli):
    """``l2m.train: lm`` learns M2L only, ``l2m.train: prefix`` the prefix model only;
    ``attach-l2m`` joins them, and refuses a vocab-mode run or codes of another tokenizer."""
    prefix = {"mode": "prefix", "text_features": "minilm"}
    steps = {"steps": 4, "eval_every": 4, "checkpoint_every": 4}
    m2l = train(tiny_lm_config(tiny_tokenized, tmp_path / "m2l", l2m={**prefix, "train": "lm"},
                               train=steps), progress=False)
    l2m = train(tiny_lm_config(tiny_tokenized, tmp_path / "l2m", l2m={**prefix, "train": "prefix"},
                               train=steps), progress=False)
    assert not (m2l / "prefix").exists() and (l2m / "prefix" / "model.safetensors").is_file()
    assert not (l2m / "model").exists()                      # the LM was not even built
    assert "l2m_loss" not in json.loads((m2l / "metrics.json").read_text())
    from tests.tiny import random_motion
    half = TDMMLM.from_pretrained(str(m2l))                   # describes without its L2M half
    assert isinstance(half.describe([random_motion(30)])[0], str) and half.prefix is None
    rc, _, err = cli("generate", "a person smiles", "--model", m2l, "-o", tmp_path / "x.csv")
    assert rc == 2 and "attach-l2m" in err
    rc, out, err = cli("llm", "attach-l2m", "--lm", tmp_path / "m2l", "--l2m", tmp_path / "l2m",
                       "--out", tmp_path / "joined")
    assert rc == 0, err
    lm = TDMMLM.from_pretrained(str(tmp_path / "joined"))
    from tdmm_lm.lm.prefix import PrefixL2M
    trained = PrefixL2M.load(l2m / "prefix")
    for k, v in trained.state_dict().items():
        torch.testing.assert_close(lm.prefix.state_dict()[k], v, rtol=0, atol=0)
    assert lm.generate(["A person smiles."], [30])[0].num_frames == 30
    assert lm.describe(lm.generate(["A person smiles."], [30]))[0] is not None

    vocab_run = train(tiny_lm_config(tiny_tokenized, tmp_path / "vocab", train=steps), progress=False)
    rc, _, err = cli("llm", "attach-l2m", "--lm", vocab_run, "--l2m", l2m, "--out", tmp_path / "j2")
    assert rc == 2 and "vocab-mode" in err
    (l2m / "motion_tokenizer" / "model.safetensors").write_bytes(b"other tokenizer")
    rc, _, err = cli("llm", "attach-l2m", "--lm", m2l, "--l2m", l2m, "--out", tmp_path / "j3")
    assert rc == 2 and "different motion tokenizers" in err and not (tmp_path / "j3").exists()


def test_a_half_needs_prefix_mode(tiny_tokenized, tmp_path):
    from tdmm_lm.errors import TdmmError
    with pytest.raises(TdmmError, match="l2m.train"):
        tiny_lm_config(tiny_tokenized, tmp_path / "x", l2m={"train": "lm"})
