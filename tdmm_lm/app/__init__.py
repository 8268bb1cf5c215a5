"""Talk to facial motion: a terminal chat and a web demo over one trained TDMM-LM.

    tdmm-lm chat --model runs/lm_tiny               # REPL: /load, questions, /generate, /save ...
    tdmm-lm serve --model runs/lm_tiny              # Gradio demo on http://127.0.0.1:7860

session.py (the motion under discussion and the talk about it, shared by both) · chat.py (the
REPL) · web.py (the Gradio app) · samples.py (a FaceScript sample made on the fly).
"""
