"""The geometry VQ-VAE ("motion tokenizer"): facial motion ⇄ discrete tokens.

config.py (typed config) · quantizer.py (EMA codebook, residual VQ) · model.py (conv
encoder/decoder) · losses.py (vertex + parameter + velocity + commitment) · train.py
(the tokenizer's task for the shared runner) · tokenizer.py (``MotionTokenizer``: encode/decode, save/load/push) ·
evaluate.py (reconstruction metrics) · dataset.py (the ``codes`` column).
"""

from tdmm_lm.vqvae.config import DataSection, LossConfig, ModelConfig, VQConfig

__all__ = ["DataSection", "LossConfig", "ModelConfig", "MotionTokenizer", "VQConfig"]


def __getattr__(name: str):
    # torch is imported only when the tokenizer is used, so the CLI's --help stays fast
    if name == "MotionTokenizer":
        from tdmm_lm.vqvae.tokenizer import MotionTokenizer
        return MotionTokenizer
    raise AttributeError(name)
