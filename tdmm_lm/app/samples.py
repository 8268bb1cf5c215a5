"""The web demo's "bundled" samples: FaceScript clips made on the fly, so nothing ships as data.

They come from a seed the default corpus does not use (``tdmm-lm data synth`` uses seed 0), so
the model has not been trained on them.
"""

from __future__ import annotations

from tdmm_lm.motion.types import Motion

SAMPLE_SEED = 20_240_917
NUM_SAMPLES = 8


def facescript_sample(index: int, format: str = "arkit61", fps: float | None = None
                      ) -> tuple[Motion, str]:
    """Sample ``index`` (wrapped to ``NUM_SAMPLES``) as a motion plus its script's text."""
    from tdmm_lm.data.schema import row_motion
    from tdmm_lm.data.synthetic import FaceScriptConfig, generate_sample

    config = FaceScriptConfig(num_samples=NUM_SAMPLES, seed=SAMPLE_SEED, format=format, fps=fps)
    row = generate_sample(config, index % NUM_SAMPLES)
    return row_motion(row), row["text"]
