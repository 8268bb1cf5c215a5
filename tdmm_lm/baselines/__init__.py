"""Two classic text-to-motion baselines adapted from body motion, trained on the same datasets
as the LM and served through the same ``MotionGenerator`` interface:

- ``mdm/``: MDM, a transformer-encoder diffusion model over motion features (x0 prediction,
  cosine schedule, classifier-free guidance, EMA, DDPM/DDIM sampling with any step count);
- ``t2m_gpt/``: T2M-GPT, a GPT (``tdmm_lm.nn.CodeGPT``) over the motion tokenizer's codes after
  a sentence embedding, with an END token and the "pkeep" input corruption.

Both train with ``train.py`` (``tdmm-lm baseline train mdm|t2m-gpt --config FILE``) and load
with ``tdmm_lm.generators.load_generator(folder)``.
"""
