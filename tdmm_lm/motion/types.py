"""The ``Motion`` type: a facial motion sequence with its format, channels and frame rate."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tdmm_lm.errors import TdmmError
from tdmm_lm.motion.formats import MotionFormat, get_format


@dataclass
class Motion:
    """A facial motion: ``data[T, D]`` float32, one row per frame, one column per channel.

    ``shape`` is an optional FLAME identity vector (constant over the sequence); ``meta`` holds
    provenance such as the source path, subject and timecodes (never needed to interpret data).
    """

    data: np.ndarray
    fps: float
    format: MotionFormat
    channels: tuple[str, ...]
    shape: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.format = get_format(self.format)
        self.data = np.asarray(self.data, dtype=np.float32)
        self.channels = tuple(self.channels)
        if self.data.ndim != 2:
            raise TdmmError(f"motion data must be 2-D [frames, channels], got shape {self.data.shape}")
        if self.data.shape[1] != len(self.channels):
            raise TdmmError(f"motion has {self.data.shape[1]} columns but {len(self.channels)} "
                            "channel names")
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise TdmmError(f"motion fps must be a positive number, got {self.fps}")
        self.fps = float(self.fps)
        self.format.validate_channels(self.channels)
        if self.shape is not None:
            self.shape = np.asarray(self.shape, dtype=np.float32).reshape(-1)

    @property
    def num_frames(self) -> int:
        return int(self.data.shape[0])

    @property
    def duration(self) -> float:
        """Seconds covered by the frames (``num_frames / fps``)."""
        return self.num_frames / self.fps

    def index(self, channel: str) -> int:
        """Column index of a channel name."""
        try:
            return self.channels.index(channel)
        except ValueError:
            raise TdmmError(f"motion has no channel {channel!r} ({self.format.name})") from None

    def channel(self, name: str) -> np.ndarray:
        """One channel's curve, ``[T]``."""
        return self.data[:, self.index(name)]

    def replace(self, **changes: Any) -> Motion:
        """A copy with some fields changed (``meta`` is copied, not shared)."""
        changes.setdefault("meta", dict(self.meta))
        return dataclasses.replace(self, **changes)
