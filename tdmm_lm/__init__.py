"""tdmm-lm: language models that read and write 3D facial motion."""

__version__ = "0.1.0"
