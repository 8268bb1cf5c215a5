"""A stand-in with the ``TDMMLM`` surface (fps, describe, answer, generate) for fast tests of
the chat and the web demo's plumbing; the tests that need the real model use ``tiny_lm_run``."""

from __future__ import annotations

from tests.tiny import random_motion


class ScriptedLM:
    """Answers say what they were given (question, frames, turn), so a test can check that the
    app passed the right motion and history; generated motions have the asked length."""

    name = "scripted"
    fps = 30.0

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def answer(self, motion, question, history=None, *, seed=0):
        history = list(history or [])
        self.calls.append(("answer", question, history, motion.num_frames))
        return f"{question} / {motion.num_frames} frames / turn {len(history) + 1}"

    def describe(self, motions, *, seed=0):
        return [f"a {m.num_frames}-frame motion" for m in motions]

    def generate(self, texts, lengths=None, *, seed=0):
        self.calls.append(("generate", list(texts), lengths))
        return [random_motion(n, self.fps, seed) for n in (lengths or [45] * len(texts))]
