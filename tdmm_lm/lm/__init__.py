"""TDMM-LM: motion tokens in a causal LM's vocabulary, trained both ways (M2L and L2M).

config.py (typed run config) · vocab.py (motion tokens, row init, code ⇄ text, malformed
output) · model.py (any HF causal LM or a config-built tiny one; LoRA / full) · prompts.py
(describe, chat and generate conversations, assistant-only labels) · batches.py (sampling,
collation) · prefix.py (prefix-mode L2M over ``nn.CodeGPT``) · scoring.py (teacher-forced
metrics) · train.py (Accelerate loop) · tdmmlm.py (``TDMMLM``: describe, answer, generate,
save/load) · export.py (merge a LoRA run) · args.py (CLI options).
"""
