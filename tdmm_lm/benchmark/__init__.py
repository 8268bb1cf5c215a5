"""The shared benchmark evaluator: one protocol, every generator, numbers with 95% CIs.

- ``extractor``: the text-motion feature extractor (``tdmm-lm eval train-extractor``)
- ``metrics``: FID, R-precision, MM-Dist, Diversity, Multimodality (HumanML3D semantics) and
  the TDMM-LM measures (parameter L2, frame Fréchet distance, token accuracy, vertex errors)
- ``text_metrics``: BLEU, ROUGE-L, CIDEr, BERTScore, attribute correctness (M2L)
- ``detectors``: rules that find FaceScript primitives in a motion; the rule-based describer
- ``config`` / ``runner`` / ``report`` / ``cache``: ``tdmm-lm eval run BENCHMARK.yaml``
"""
