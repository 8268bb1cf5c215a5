"""The motion under discussion and the conversation about it: what the chat and the web demo share.

    conv = Conversation(load_model("runs/lm_tiny"))
    conv.load("take.csv")                      # the motion under discussion; history restarts
    conv.ask("what is the person doing?")      # M2L chat, earlier turns as history
    motion = conv.generate("a person smiles", seconds=3)   # L2M
    conv.show(motion, "generated")             # discuss the generated motion instead
    conv.save("out.csv"); conv.render("out.mp4")

The model is anything with ``fps``, ``describe``, ``answer`` and ``generate`` (``TDMMLM``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from tdmm_lm.errors import TdmmError
from tdmm_lm.motion.types import Motion

MAX_SECONDS = 60.0   # longer requests are typos (frames for seconds), not wishes
# Shown when the model ends its reply at once (barely trained models do), so a reply is visible.
NO_TEXT = "(no text: the model ended its reply at once)"


def load_model(path_or_repo_id: str, device: str | None = None):
    """A trained TDMM-LM from a run folder, its ``best/`` or a Hub repo id."""
    from tdmm_lm.lm.tdmmlm import TDMMLM

    return TDMMLM.from_pretrained(path_or_repo_id, device=device)


def motion_line(motion: Motion, label: str) -> str:
    """``label: arkit61, 328 frames at 60 fps (5.47 s)``."""
    return (f"{label}: {motion.format.name}, {motion.num_frames} frames at {motion.fps:g} fps "
            f"({motion.duration:.2f} s)")


@lru_cache(maxsize=4)
def geometry_for(format: str, channels: tuple[str, ...], rig: str | None = None,
                 flame_model: str | None = None):
    """The face to render a motion on (rigs and FLAME models are read once per process)."""
    from tdmm_lm.geometry import FaceGeometry
    return FaceGeometry.for_format(format, channels, rig=rig, flame_model=flame_model)


@dataclass
class Conversation:
    """One user's session: the current motion, its label, and the (question, answer) turns."""

    model: Any
    seed: int = 0
    rig: str | None = None                    # ARKit rig .npz for rendering (None: resolved)
    flame_model: str | None = None            # FLAME model folder, to render FLAME motion
    motion: Motion | None = None
    label: str = ""
    history: list[tuple[str, str]] = field(default_factory=list)

    def show(self, motion: Motion, label: str) -> str:
        """Make ``motion`` the one under discussion (a new subject: the history restarts)."""
        self.motion, self.label, self.history = motion, label, []
        return motion_line(motion, label)

    def load(self, path: str | Path) -> str:
        """Read a motion file (.csv Live Link Face, .npz, SMIRK .pkl) and discuss it."""
        from tdmm_lm.motion import load
        return self.show(load(path), Path(path).name)

    def current(self) -> Motion:
        if self.motion is None:
            raise TdmmError("no motion yet: load a take (/load FILE) or generate one first")
        return self.motion

    def ask(self, question: str) -> str:
        """The model's answer about the current motion, given the earlier turns."""
        question = question.strip()
        if not question:
            raise TdmmError("the question is empty")
        answer = self.model.answer(self.current(), question, list(self.history), seed=self.seed)
        self.history.append((question, answer))     # the model's own words, even when empty
        return answer.strip() or NO_TEXT

    def describe(self) -> str:
        return self.model.describe([self.current()], seed=self.seed)[0].strip() or NO_TEXT

    def generate(self, prompt: str, seconds: float | None = None) -> Motion:
        """A motion for ``prompt`` at the model's fps (``seconds`` None: the model decides)."""
        prompt = prompt.strip()
        if not prompt:
            raise TdmmError("the prompt is empty: say what the face should do")
        lengths = None
        if seconds is not None:
            if not 0 < seconds <= MAX_SECONDS:
                raise TdmmError(f"--seconds must be in (0, {MAX_SECONDS:g}], got {seconds:g}")
            from tdmm_lm.generators import frames_for_seconds
            lengths = frames_for_seconds(self.model, seconds)
        motion = self.model.generate([prompt], lengths, seed=self.seed)[0]
        motion.meta["prompt"] = prompt
        return motion

    def save(self, path: str | Path) -> str:
        """Write the current motion: ``.csv`` Live Link Face (ARKit) or ``.npz``."""
        from tdmm_lm.motion import save
        motion = self.current()
        save(motion, path)
        return f"wrote {path} ({motion.format.name}, {motion.num_frames} frames at {motion.fps:g} fps)"

    def render(self, out: str | Path, fps: float = 30.0) -> Path:
        """The current motion as ``.mp4``/``.gif`` (animation) or ``.png`` (contact sheet)."""
        from tdmm_lm.geometry.render import render_to_file
        motion = self.current()
        geometry = geometry_for(motion.format.name, motion.channels, self.rig, self.flame_model)
        from tdmm_lm.atomic import atomic_file
        with atomic_file(out) as tmp:    # geometry/render writes in place; rename when done
            render_to_file(geometry, motion, tmp, captions=[self.label], fps=fps)
        return Path(out)
