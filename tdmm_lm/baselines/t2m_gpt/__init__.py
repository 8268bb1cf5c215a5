"""T2M-GPT: a GPT over motion-tokenizer codes after a sentence embedding.

    tdmm-lm baseline train t2m-gpt --config configs/baselines/t2m_gpt_tiny.yaml
    tdmm-lm generate "A person smiles widely." --model runs/t2m_gpt_tiny -o smile.csv

configuration.py (settings) · modeling.py (GPT + frozen tokenizer) · training.py (data for the
shared loop) · generator.py (``T2MGPTGenerator``).
Registered in ``tdmm_lm.baselines.registry``; importing this package imports no torch.
"""
