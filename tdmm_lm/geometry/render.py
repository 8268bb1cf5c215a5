"""Pictures and videos of facial motion: shaded mesh frames, contact sheets, GIF/MP4, curves.

    from tdmm_lm.geometry import FaceGeometry, render
    geo = FaceGeometry.for_format(motion.format, motion.channels, rig="rig.npz")
    render.render_to_file(geo, motion, "take.mp4", fps=30)                 # or .gif / .png
    render.render_to_file(geo, motion, "cmp.png", compare=other, captions=("real", "decoded"))

Frames come from the numpy rasteriser in ``raster.py`` (orthographic camera, one fixed framing
per clip so the head does not jump). Views: ``front`` and ``three_quarter`` (turned 35°).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from tdmm_lm.errors import TdmmError
from tdmm_lm.geometry.base import FaceGeometry
from tdmm_lm.geometry.raster import rasterize, shade
from tdmm_lm.motion.ops import resample
from tdmm_lm.motion.types import Motion

VIEWS = {"front": 0.0, "three_quarter": 35.0}   # yaw of the camera around the face, degrees
SKIN = (0.86, 0.72, 0.63)
BACKGROUND = (0.13, 0.14, 0.16)
CAPTION_H = 32          # caption strip height; 256 + 32 keeps MP4 sizes multiples of 16
FORMATS = (".png", ".gif", ".mp4")


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


@dataclass
class Framing:
    """Fixed orthographic camera for a clip: centre ``[3]``, pixels per model unit, image size."""

    center: np.ndarray
    scale: float
    size: int

    @classmethod
    def fit(cls, vertex_sets: list[np.ndarray], size: int, views: tuple[str, ...]) -> Framing:
        """Fit all ``[T, V, 3]`` sets in every view with a 6% margin."""
        center = np.concatenate([v.reshape(-1, 3) for v in vertex_sets]).mean(0)
        extent = 1e-6
        for v in vertex_sets:
            pts = v[:: max(1, len(v) // 64)].reshape(-1, 3) - center    # a subsample of frames
            for view in views:
                xy = _turn(pts, VIEWS[view])[:, :2]
                extent = max(extent, float(np.abs(xy).max()))
        return cls(center, 0.47 * size / extent, size)

    def project(self, verts: np.ndarray, view: str) -> tuple[np.ndarray, np.ndarray]:
        """``[V, 3]`` → (view-space vertices, screen ``[V, 3]``: px x, px y down, depth)."""
        local = _turn(verts - self.center, VIEWS[view])
        half = self.size / 2
        screen = np.stack([half + local[:, 0] * self.scale, half - local[:, 1] * self.scale,
                           -local[:, 2]], 1)
        return local, screen


def _turn(pts: np.ndarray, degrees: float) -> np.ndarray:
    a = np.deg2rad(degrees)
    rot = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    return pts @ rot.T


def render_view(geometry: FaceGeometry, verts: np.ndarray, framing: Framing, view: str
                ) -> np.ndarray:
    """One shaded picture ``uint8[size, size, 3]`` of ``verts[V, 3]``."""
    local, screen = framing.project(verts, view)
    face, bary = rasterize(screen, geometry.triangles, framing.size, framing.size)
    colors = geometry.vertex_colors if geometry.vertex_colors is not None else np.tile(
        SKIN, (len(verts), 1))
    return shade(local, geometry.triangles, face, bary, colors, BACKGROUND)


def clip_vertices(geometry: FaceGeometry, motion: Motion, frames: np.ndarray | None = None
                  ) -> np.ndarray:
    """Vertices ``[N, V, 3]`` of ``motion`` at frame indices ``frames`` (clipped to the last)."""
    geometry.motion_tensor(motion)            # checks format and channels
    if frames is not None:
        motion = motion.replace(data=motion.data[np.minimum(frames, motion.num_frames - 1)])
    return geometry.vertices_of(motion).cpu().numpy()


def _label(img: np.ndarray, text: str, size: int = 13, *, bottom: bool = False) -> np.ndarray:
    """``img`` with ``text`` in its top-left corner (bottom-left: clear of caption strips)."""
    pic = Image.fromarray(img)
    y = img.shape[0] - size - 8 if bottom else 3
    ImageDraw.Draw(pic).text((5, y), text, fill=(235, 235, 235), font=_font(size))
    return np.asarray(pic)


def _caption_strip(text: str, width: int) -> np.ndarray:
    pic = Image.new("RGB", (width, CAPTION_H), (30, 30, 34))
    ImageDraw.Draw(pic).text((8, 7), text, fill=(240, 240, 240), font=_font(16))
    return np.asarray(pic)


def _panel(geometry: FaceGeometry, verts: np.ndarray, framing: Framing, views: tuple[str, ...]
           ) -> np.ndarray:
    return np.concatenate([render_view(geometry, verts, framing, v) for v in views], 1)


def animation_frames(geometry: FaceGeometry, motions: list[Motion], *, fps: float = 30,
                     captions: list[str] | None = None, size: int = 256,
                     views: tuple[str, ...] = ("front", "three_quarter")) -> np.ndarray:
    """Side-by-side frames ``uint8[N, H, W, 3]`` of one or more motions sampled at ``fps``.

    The longest motion sets the length (shorter ones hold their last frame); each motion gets a
    caption strip on top; every frame is stamped with its time.
    """
    if fps <= 0:
        raise TdmmError(f"--fps must be positive, got {fps}")
    motions = [resample(m, fps) for m in motions]
    n = max(m.num_frames for m in motions)
    times = np.arange(n) / fps
    clips = [clip_vertices(geometry, m, np.arange(n)) for m in motions]
    framing = Framing.fit(clips, size, views)
    captions = captions or [""] * len(motions)
    strips = [_caption_strip(c, size * len(views)) for c in captions]
    out = []
    for i, t in enumerate(times):
        cols = [np.concatenate([s, _panel(geometry, c[i], framing, views)], 0)
                for s, c in zip(strips, clips)]
        out.append(_label(np.concatenate(cols, 1), f"t={t:.2f}s", 14, bottom=True))
    return np.stack(out)


def key_frame_times(geometry: FaceGeometry, motion: Motion, n: int) -> np.ndarray:
    """``n`` times for a contact sheet: up to n/2 peaks of facial change, the rest evenly spread.

    Evenly spaced tiles miss blinks (~0.2 s); peaks of the mean vertex distance from the clip's
    median face catch them.
    """
    times = np.arange(motion.num_frames) / motion.fps
    if motion.num_frames <= n:
        return times
    verts = clip_vertices(geometry, motion)
    score = np.linalg.norm(verts - np.median(verts, 0), axis=-1).mean(-1)       # [T]
    gap = max(1, int(motion.num_frames / (2 * n)))                              # min separation
    chosen: list[int] = []
    for i in np.argsort(-score):
        lo, hi = max(0, i - 2), min(len(score), i + 3)
        if score[i] < score[lo:hi].max() or any(abs(i - j) < gap for j in chosen):
            continue
        chosen.append(int(i))
        if len(chosen) >= n // 2:
            break
    for i in np.linspace(0, motion.num_frames - 1, n).round().astype(int):
        if len(chosen) < n and all(abs(i - j) >= gap for j in chosen):
            chosen.append(int(i))
    return times[np.sort(np.array(chosen))]


def curve_plot(motion: Motion, *, top_k: int = 6, marks: np.ndarray | None = None,
               width: int = 1024, height: int = 300) -> np.ndarray:
    """Plot of the ``top_k`` most active channels (by std) over time → ``uint8[H, W, 3]``.

    ``marks``: times (s) drawn as numbered vertical lines (the contact-sheet tiles).
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    t = np.arange(motion.num_frames) / motion.fps
    order = np.argsort(-motion.data.std(0))[:top_k]
    fig, ax = plt.subplots(figsize=(width / 100, height / 100), dpi=100)
    for d in order:
        ax.plot(t, motion.data[:, d], lw=1.4, label=motion.channels[d])
    for k, m in enumerate(marks if marks is not None else []):
        ax.axvline(m, color="0.6", lw=0.7, ls="--")
        ax.text(m, 1.0, str(k + 1), transform=ax.get_xaxis_transform(), ha="center",
                va="bottom", fontsize=7, color="0.3")
    ax.set_xlabel("time (s)")
    ax.set_xlim(0, max(t[-1], 1e-3))
    ax.legend(loc="upper right", fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return np.asarray(Image.open(buf).convert("RGB"))


def contact_sheet(geometry: FaceGeometry, motions: list[Motion], *, n: int = 12, columns: int = 6,
                  captions: list[str] | None = None, size: int = 192,
                  views: tuple[str, ...] = ("front",)) -> np.ndarray:
    """A grid of key frames (numbered, with times) above a curve plot → ``uint8[H, W, 3]``.

    Key frames come from the first motion; with several motions each tile stacks them top to
    bottom in order, and the caption strip names them.
    """
    times = key_frame_times(geometry, motions[0], n)
    clips = [clip_vertices(geometry, m, np.round(times * m.fps).astype(int)) for m in motions]
    framing = Framing.fit(clips, size, views)
    tiles = []
    for i, t in enumerate(times):
        tile = np.concatenate([_panel(geometry, c[i], framing, views) for c in clips], 0)
        frame = int(round(t * motions[0].fps))
        tiles.append(_label(tile, f"{i + 1}: t={t:.2f}s f{frame}", 12))
    while len(tiles) % columns:
        tiles.append(np.zeros_like(tiles[0]))
    grid = np.concatenate([np.concatenate(tiles[r:r + columns], 1)
                           for r in range(0, len(tiles), columns)], 0)
    width = grid.shape[1]
    plot = curve_plot(motions[0], marks=times, width=width, height=300)
    parts = [grid, plot[:, :width]]
    if captions:
        text = "  |  ".join(f"{'top' if k == 0 else f'row {k + 1}'}: {c}" if len(captions) > 1
                            else c for k, c in enumerate(captions))
        parts.insert(0, _caption_strip(text, width))
    return np.concatenate(parts, 0)


def write_animation(frames: np.ndarray, path: str | Path, fps: float) -> None:
    """Write ``uint8[N, H, W, 3]`` frames as ``.gif`` or ``.mp4`` (H.264, yuv420p)."""
    import imageio.v2 as imageio
    path = Path(path)
    if path.suffix.lower() == ".gif":
        imageio.mimsave(path, list(frames), duration=1000.0 / fps, loop=0)
    else:
        with imageio.get_writer(path, fps=fps, codec="libx264", quality=7,
                                macro_block_size=16, pixelformat="yuv420p") as writer:
            for f in frames:
                writer.append_data(f)


def render_to_file(geometry: FaceGeometry, motion: Motion, out: str | Path, *,
                   compare: Motion | None = None, captions: list[str] | None = None,
                   fps: float = 30.0) -> Path:
    """Render ``motion`` (and ``compare`` beside it) to PNG (contact sheet) / GIF / MP4."""
    out = Path(out)
    ext = out.suffix.lower()
    if ext not in FORMATS:
        raise TdmmError(f"cannot render to {out}: the output must end in one of "
                        f"{', '.join(FORMATS)}")
    motions = [motion] + ([compare] if compare is not None else [])
    if captions is None and compare is not None:
        captions = [m.meta.get("source", "") and Path(str(m.meta["source"])).name or f"motion {k + 1}"
                    for k, m in enumerate(motions)]
    if out.parent and not out.parent.exists():
        raise TdmmError(f"cannot write {out}: folder {out.parent} does not exist")
    if ext == ".png":
        Image.fromarray(contact_sheet(geometry, motions, captions=captions)).save(out)
    else:
        frames = animation_frames(geometry, motions, fps=fps, captions=captions)
        write_animation(frames, out, fps)
    return out


__all__ = ["Framing", "animation_frames", "contact_sheet", "curve_plot", "key_frame_times", "clip_vertices",
           "render_to_file", "render_view", "write_animation"]
