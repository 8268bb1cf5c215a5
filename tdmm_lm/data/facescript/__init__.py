"""FaceScript: the procedural corpus of facial motion with text and ground-truth attributes.

One module per job: ``primitives`` (action vocabulary and sign conventions), ``subjects``
(per-performer style), ``plan`` (scripts and timing), ``curves`` (rendering to ARKit-61),
``text`` (paraphrases), ``attributes`` (ground truth), ``flame_map`` (ARKit -> FLAME),
``compose`` (one row). The public entry is ``tdmm_lm.data.synthetic``.
"""
