"""Readers that turn a source folder on disk into dataset rows (one generator per source).

Each reader counts what it reads in a ``SkipLog`` and logs every input it cannot use with the
reason; it never stops at a bad file (unless the log is strict) and never drops one silently.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any, Iterator

from tdmm_lm.data.recipe import DatasetInfo, SkipLog
from tdmm_lm.errors import MotionFileError, TdmmError
from tdmm_lm.motion import io as motion_io
from tdmm_lm.motion.gaps import GapPolicy, describe
from tdmm_lm.motion.ops import resample
from tdmm_lm.motion.types import Motion

EXPRESS4D_TAKE = re.compile(r"MySlate_(\d+)_iPhone(?:_cal)?\.csv")
BEAT2_CLIP = re.compile(r"(\d+_[A-Za-z]+)_.+")   # 2_scott_0_1_1 -> speaker 2_scott
BEAT2_MOTION_FOLDER = re.compile(r"smplxflame_\d+")


def motion_row(motion: Motion, *, id: str, subject: str, texts: list[str], source: str,
               attributes: dict[str, Any] | None = None, fps: float | None = None) -> dict[str, Any]:
    """A schema row from a motion (resampled to ``fps`` when given)."""
    if fps is not None and fps != motion.fps:
        motion = resample(motion, fps)
    texts = [t.strip() for t in texts if t and t.strip()]
    return {"id": id, "subject": subject, "text": texts[0] if texts else "", "texts": texts,
            "motion": motion.data, "fps": motion.fps, "format": motion.format.name,
            "attributes": json.dumps(attributes or {}), "source": source,
            "channels": motion.channels}


def read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as e:
        raise MotionFileError(path, f"cannot read captions ({e.strerror})") from None
    except UnicodeDecodeError:
        raise MotionFileError(path, "captions file is not UTF-8 text") from None


def express4d_rows(root: Path, log: SkipLog, *, fps: float | None = None,
                   captions: Path | None = None, gaps: GapPolicy = GapPolicy()
                   ) -> Iterator[dict[str, Any]]:
    """Express4D: ``MySlate_<N>_iPhone_cal.csv`` takes, caption N on line N of ``texts_plain.txt``.

    The release names no performers, so every row has subject ``unknown`` (split per clip).
    Missing frames follow ``gaps`` (see ``take_pieces``).
    """
    captions = captions or _find_one(root, "texts_plain.txt")
    lines = read_lines(captions)
    for path in sorted(root.rglob("*.csv"), key=lambda p: p.name):
        log.read += 1
        m = EXPRESS4D_TAKE.fullmatch(path.name)
        if not m:
            log.skip(path, "file name is not MySlate_<N>_iPhone_cal.csv")
            continue
        n = int(m.group(1))
        if n < 1 or n > len(lines) or not lines[n - 1].strip():
            log.skip(path, f"no caption on line {n} of {captions} ({len(lines)} lines)")
            continue
        for suffix, motion, attributes in take_pieces(path, log, gaps):
            yield motion_row(motion, id=f"express4d_{n:04d}{suffix}", subject="unknown",
                             texts=[lines[n - 1]], source=str(path), fps=fps,
                             attributes=attributes)


def livelinkface_rows(root: Path, captions: Path | None, log: SkipLog, *, fps: float | None = None,
                      gaps: GapPolicy = GapPolicy()) -> Iterator[dict[str, Any]]:
    """A folder of Live Link Face takes plus a captions CSV with columns ``file,text[,subject]``.

    ``file`` is a path relative to ``root`` (or a bare file name); ``text`` holds one description
    or several separated by ``|``. Captions without a take and takes without a caption are logged.
    Without ``captions`` every take becomes motion-only rows (for tokenizers), each take its own
    subject. Missing frames follow ``gaps`` (see ``take_pieces``).
    """
    takes = {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*.csv"))
             if captions is None or p.resolve() != captions.resolve()}
    if captions is None:
        for path in takes.values():
            log.read += 1
            yield from _take_rows(path, path.stem, [], path.stem, log, fps, gaps)
        return
    table = _read_captions_csv(captions)
    by_name = {p.name: p for p in takes.values()}
    used: set[Path] = set()
    for line, entry in table:
        log.read += 1
        path = takes.get(entry["file"]) or by_name.get(Path(entry["file"]).name)
        if path is None:
            log.skip(f"{captions}:{line}", f"no take named {entry['file']!r} under {root}")
            continue
        used.add(path)
        yield from _take_rows(path, Path(entry["file"]).stem, entry["text"].split("|"),
                              entry.get("subject") or "unknown", log, fps, gaps)
    for path in takes.values():
        if path not in used:
            log.read += 1
            log.skip(path, f"take has no caption in {captions}")


def _take_rows(path: Path, stem: str, texts: list[str], subject: str, log: SkipLog,
               fps: float | None, gaps: GapPolicy) -> Iterator[dict[str, Any]]:
    """The rows of one take's pieces, ids ``llf_<stem>[_pN]``."""
    for suffix, motion, attributes in take_pieces(path, log, gaps):
        yield motion_row(motion, id=f"llf_{stem}{suffix}", subject=subject, texts=texts,
                         source=str(path), fps=fps, attributes=attributes)


def open3dfacevid_rows(captions: Path, fits: Path, log: SkipLog, *, fps: float | None = None
                       ) -> Iterator[dict[str, Any]]:
    """TDMM-LM's Open3DFaceVid: JSON captions plus one FLAME fit per clip (SMIRK ``.pkl`` or
    SPECTRE ``.npz``, named by clip id, found anywhere under ``fits``).

    ``captions`` is one JSON file or a folder of them. Accepted shapes: ``{clip_id: caption}``,
    ``{clip_id: {"caption"|"text": ..., "paraphrases": [...], "subject": ...}}``, a list of such
    records with an ``id``/``clip_id``/``video`` field, or one record per file named by clip id.
    """
    records = _open3d_records(captions)
    fit_files = {p.stem: p for p in sorted(fits.rglob("*")) if p.suffix in (".pkl", ".npz")}
    for clip_id, record in records.items():
        log.read += 1
        texts = _record_texts(record)
        if not texts:
            log.skip(f"{captions}#{clip_id}", "record has no caption/text")
            continue
        path = fit_files.get(clip_id)
        if path is None:
            log.skip(f"{captions}#{clip_id}", f"no SMIRK .pkl or SPECTRE .npz named {clip_id} under {fits}")
            continue
        motion = load_or_skip(path, "flame", log)
        if motion is None:
            continue
        subject = str(record.get("subject") or record.get("identity") or "unknown") \
            if isinstance(record, dict) else "unknown"
        attributes = {k: record[k] for k in ("emotion", "label", "intensity")
                      if isinstance(record, dict) and k in record}
        yield motion_row(motion, id=f"o3d_{clip_id}", subject=subject, texts=texts,
                         source=str(path), fps=fps, attributes=attributes)


def beat2_rows(root: Path, log: SkipLog, *, fps: float | None = None
               ) -> Iterator[dict[str, Any]]:
    """BEAT2: ``<root>/beat_english_v2.0.0/smplxflame_30/<clip>.npz`` (SMPL-X + FLAME, see
    ``motion.flame_files.from_smplx_flame``), word transcripts in ``.../textgrid/<clip>.TextGrid``.

    Rows are motion-only (``texts`` empty): a transcript is what was said, not a description of
    the face, so it goes to ``attributes`` (``transcript`` and word timings ``words``). A clip
    whose TextGrid is missing or unreadable keeps its motion, with ``transcript_error`` saying why.
    """
    from tdmm_lm.data.textgrid import read_words, transcript
    clips = sorted((p for p in root.rglob("*.npz") if BEAT2_MOTION_FOLDER.fullmatch(p.parent.name)),
                   key=lambda p: p.name)
    if not clips:
        raise TdmmError(f"no BEAT2 clips under {root} (expected "
                        "beat_english_v2.0.0/smplxflame_30/<clip>.npz)")
    for path in clips:
        log.read += 1
        m = BEAT2_CLIP.fullmatch(path.stem)
        if not m:
            log.skip(path, "file name is not <speaker number>_<name>_...; cannot tell the speaker")
            continue
        motion = load_or_skip(path, "flame", log)
        if motion is None:
            continue
        grid = path.parent.parent / "textgrid" / f"{path.stem}.TextGrid"
        attributes: dict[str, Any] = {"speaker": m.group(1)}
        try:
            words = read_words(grid) if grid.is_file() else None
        except TdmmError as e:
            words, attributes["transcript_error"] = None, str(e)
        if words is None:
            attributes.setdefault("transcript_error", f"no transcript {grid}")
        else:
            attributes["transcript"] = transcript(words)
            attributes["words"] = [[round(s, 3), round(e, 3), w] for s, e, w in words]
        yield motion_row(motion, id=f"beat2_{path.stem}", subject=m.group(1), texts=[],
                         source=str(path), fps=fps, attributes=attributes)


def take_pieces(path: Path, log: SkipLog, gaps: GapPolicy
                ) -> list[tuple[str, Motion, dict[str, Any]]]:
    """A Live Link Face take as ``(id suffix, motion, attributes)`` per piece: one with suffix
    ``""`` for a whole take, ``_p1``, ``_p2``... when ``gaps`` splits it (the attributes say
    which piece). An unreadable take is logged as skipped; filled, split or trimmed frames and a
    truncated last line are logged as a note, so the log accounts for every row of the file.
    """
    try:
        pieces = motion_io.load_pieces(path, "arkit61", gaps=gaps)
    except TdmmError as e:
        log.skip(path, str(e))
        return []
    report = pieces[0].meta.get("gaps") or {}
    if report.get("missing_frames") or report.get("truncated_line"):
        log.note(path, describe(report))
    if len(pieces) == 1:
        return [("", pieces[0], {})]
    return [(f"_p{i}", m, {"piece": i, "pieces": len(pieces)}) for i, m in enumerate(pieces, 1)]


def load_or_skip(path: Path, fmt: str, log: SkipLog) -> Motion | None:
    """The motion at ``path``, or None after logging why it cannot be read."""
    try:
        return motion_io.load(path, fmt)
    except TdmmError as e:
        log.skip(path, str(e))
        return None


def _find_one(root: Path, name: str) -> Path:
    hits = sorted(root.rglob(name))
    if not hits:
        raise TdmmError(f"no {name} under {root}; pass its path with --captions")
    return hits[0]


def _read_captions_csv(path: Path) -> list[tuple[int, dict[str, str]]]:
    lines = read_lines(path)
    rows = list(csv.DictReader(lines))
    if not rows or not {"file", "text"} <= set(rows[0]):
        raise MotionFileError(path, "captions CSV needs a header with columns file,text[,subject]",
                              row=1)
    out = []
    for i, row in enumerate(rows, start=2):
        if not (row.get("file") or "").strip() or not (row.get("text") or "").strip():
            raise MotionFileError(path, "empty file or text field", row=i)
        out.append((i, {k: (v or "").strip() for k, v in row.items() if k}))
    return out


def _open3d_records(captions: Path) -> dict[str, Any]:
    files = sorted(captions.rglob("*.json")) if captions.is_dir() else [captions]
    if not files:
        raise TdmmError(f"no JSON caption files under {captions}")
    records: dict[str, Any] = {}
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise MotionFileError(path, f"not valid JSON ({e})") from None
        if isinstance(data, list):
            for i, rec in enumerate(data):
                key = next((rec[k] for k in ("id", "clip_id", "video") if isinstance(rec, dict)
                            and k in rec), None)
                if key is None:
                    raise MotionFileError(path, f"record {i} has no id/clip_id/video field")
                records[Path(str(key)).stem] = rec
        elif isinstance(data, dict) and captions.is_dir() and _record_texts(data):
            records[path.stem] = data  # one record per file
        elif isinstance(data, dict):
            records.update({Path(str(k)).stem: v for k, v in data.items()})
        else:
            raise MotionFileError(path, "expected a JSON object or list of records")
    return records


def _record_texts(record: Any) -> list[str]:
    if isinstance(record, str):
        return [record]
    if not isinstance(record, dict):
        return []
    first = record.get("caption") or record.get("text") or record.get("prompt")
    more = record.get("paraphrases") or record.get("captions") or []
    texts = ([first] if isinstance(first, str) else []) + [t for t in more if isinstance(t, str)]
    return list(dict.fromkeys(t.strip() for t in texts if t.strip()))


def facescript_rows(config, log: SkipLog) -> Iterator[dict[str, Any]]:
    """FaceScript samples (``tdmm_lm.data.synthetic``) as rows; the generator is the source."""
    from tdmm_lm.data.synthetic import generate_corpus
    for row in generate_corpus(config):
        log.read += 1
        yield row


def facescript_info(config) -> DatasetInfo:
    return DatasetInfo(
        name="FaceScript (synthetic)", license="mit",
        source=(f"FaceScript: procedural facial motion with text and ground-truth attributes, "
                f"generated by tdmm-lm (seed {config.seed}, {config.num_samples} samples, "
                f"{config.num_subjects} synthetic subjects). Not real people."))
