"""How large is a TDMM-LM LoRA adapter for a real checkpoint's shape? Measured by saving one.

    python eval/scripts/lm_adapter_size.py
    # writes eval/results/lm_adapter_size.{md,json}

No hub here, so the models are built from the published configs of Qwen3-0.6B and Qwen3-1.7B
with random weights (an adapter's size does not depend on the weights), the motion tokens of the
2-level x 512-code tokenizer (1024 codes + 2 markers) are added, and the adapter of
``configs/lm/qwen3_*_lora.yaml`` (LoRA r16 on attention + MLP, trainable motion-token rows) is
saved with ``save_embedding_layers=False`` exactly as training saves it. The base is built in
bfloat16 to fit memory; peft keeps adapter weights in float32 (``autocast_adapter_dtype``), and
the table gives the dtype it saved.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from tdmm_lm.lm.config import LMConfig  # noqa: E402
from tdmm_lm.lm.model import lora_config  # noqa: E402
from tdmm_lm.lm.vocab import MotionVocab  # noqa: E402
from tdmm_lm.provenance import write_result  # noqa: E402

# the published config.json values of the two checkpoints (hub ids in configs/lm/)
SHAPES = {
    "Qwen/Qwen3-0.6B": dict(hidden_size=1024, intermediate_size=3072, num_hidden_layers=28,
                            num_attention_heads=16, num_key_value_heads=8, head_dim=128,
                            vocab_size=151936, tie_word_embeddings=True),
    "Qwen/Qwen3-1.7B": dict(hidden_size=2048, intermediate_size=6144, num_hidden_layers=28,
                            num_attention_heads=16, num_key_value_heads=8, head_dim=128,
                            vocab_size=151936, tie_word_embeddings=True),
}
TOKENIZER_LEN = 151669   # len(AutoTokenizer.from_pretrained("Qwen/Qwen3-0.6B")): both share it
MOTION_CODES = 1024


def measure(name: str, shape: dict, config: str) -> dict:
    from peft import get_peft_model
    from safetensors import safe_open
    from transformers import AutoModelForCausalLM, Qwen3Config

    cfg = LMConfig.from_yaml(ROOT / "configs" / "lm" / config)
    model = AutoModelForCausalLM.from_config(Qwen3Config(**shape), dtype=torch.bfloat16)
    ids = list(range(TOKENIZER_LEN, TOKENIZER_LEN + MOTION_CODES + 2))
    model.resize_token_embeddings(max(shape["vocab_size"], ids[-1] + 1), mean_resizing=False)
    vocab = MotionVocab(tuple(ids[:MOTION_CODES]), ids[-2], ids[-1], 2)
    peft = get_peft_model(model, lora_config(model, vocab, cfg.model.lora))
    trainable = sum(p.numel() for p in peft.parameters() if p.requires_grad)
    total = sum(p.numel() for p in peft.parameters())
    with tempfile.TemporaryDirectory() as tmp:
        peft.save_pretrained(tmp, save_embedding_layers=False)
        file = Path(tmp) / "adapter_model.safetensors"
        with safe_open(str(file), "pt") as f:
            dtypes = sorted({str(f.get_slice(k).get_dtype()) for k in f.keys()})
        size = file.stat().st_size
    return {"config": f"configs/lm/{config}", "trainable_parameters": trainable,
            "total_parameters": total, "adapter_bytes": size, "adapter_dtypes": dtypes,
            "full_model_bytes_bf16": total * 2}


def main() -> int:
    torch.set_num_threads(1)
    results = {}
    for name, config in (("Qwen/Qwen3-0.6B", "qwen3_0.6b_lora.yaml"),
                         ("Qwen/Qwen3-1.7B", "qwen3_1.7b_lora.yaml")):
        results[name] = measure(name, SHAPES[name], config)
        print(name, results[name], flush=True)
    lines = ["# LoRA adapter size for real checkpoint shapes", "",
             "Random weights in the published shapes (no hub here), the repo's LoRA settings, "
             "1024 motion codes + 2 markers as trainable rows, saved with "
             "`save_embedding_layers=False`. Produced by `eval/scripts/lm_adapter_size.py`.", "",
             "| base | config | trainable params | adapter file (measured) | saved dtype "
             "| full model (bf16) |", "|---|---|---|---|---|---|"]
    for name, r in results.items():
        lines.append(f"| {name} | `{r['config']}` | {r['trainable_parameters']:,} "
                     f"| {r['adapter_bytes']:,} bytes ({r['adapter_bytes'] / 1e6:.1f} MB) "
                     f"| {', '.join(r['adapter_dtypes'])} "
                     f"| {r['full_model_bytes_bf16'] / 1e9:.2f} GB |")
    write_result(ROOT / "eval" / "results" / "lm_adapter_size", results, "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
