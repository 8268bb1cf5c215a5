"""Neural building blocks shared by the LM's prefix mode and the baselines (no training code)."""

from tdmm_lm.nn.code_gpt import (CodeGPT, corrupt_codes, interleaved_level_mask, interleaved_levels,
                                 next_code_loss)

__all__ = ["CodeGPT", "corrupt_codes", "interleaved_level_mask", "interleaved_levels", "next_code_loss"]
