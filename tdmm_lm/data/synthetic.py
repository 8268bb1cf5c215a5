"""FaceScript: procedural facial motion with paraphrased text and ground-truth attributes.

The embedded default corpus every later stage trains and is judged on. Generate it with::

    tdmm-lm data synth --out data/facescript --num-samples 2000

or from Python::

    from tdmm_lm.data.synthetic import FaceScriptConfig, generate_corpus
    rows = list(generate_corpus(FaceScriptConfig(num_samples=100, format="flame")))

A sample is 1-3 actions from ``PRIMITIVES`` joined by "then"/"while", with intensity, speed and
repetitions, performed by one of ``num_subjects`` synthetic subjects (``fs_s000``...) with their
own gain, asymmetry, blink rate and resting face, plus spontaneous blinks, head sway and capture
noise. ``generate_sample(config, i, segments=[...])`` forces a script (for tests and detector
validation). The implementation lives in ``tdmm_lm.data.facescript``.
"""

from tdmm_lm.data.facescript.attributes import ATTRIBUTE_FIELDS
from tdmm_lm.data.facescript.compose import (DEFAULT_FPS, FaceScriptConfig, generate_corpus,
                                             generate_sample, sample_to_motion)
from tdmm_lm.data.facescript.flame_map import ARKIT_TO_FLAME_EXPR, arkit_to_flame
from tdmm_lm.data.facescript.plan import RELATIONS, SegmentSpec
from tdmm_lm.data.facescript.primitives import (EMOTIONS, HEAD_MOTIONS, INTENSITIES, PRIMITIVES,
                                                SIDES, SPEEDS, Primitive)
from tdmm_lm.data.facescript.subjects import SubjectStyle, subject_id, subject_style

__all__ = ["ARKIT_TO_FLAME_EXPR", "ATTRIBUTE_FIELDS", "DEFAULT_FPS", "EMOTIONS", "HEAD_MOTIONS",
           "INTENSITIES", "PRIMITIVES", "RELATIONS", "SIDES", "SPEEDS", "FaceScriptConfig",
           "Primitive", "SegmentSpec", "SubjectStyle", "arkit_to_flame", "generate_corpus",
           "generate_sample", "sample_to_motion", "subject_id", "subject_style"]
