"""How long the product steps take on this machine: publishing (dry run: build + reload check) the
real tokenizer and corpus, and the web demo's steps on the real Live Link Face take.

    nice -n 5 python eval/scripts/product_timings.py --tokenizer runs/vq_tiny \\
        --dataset runs/facescript [--lm RUN] [--take ../shared/assets/livelinkface/X.csv]
    # writes eval/results/product_timings.{md,json}

Publishing is timed once (it writes hundreds of MB for the corpus); the demo steps are the best
of 3 calls after one warm-up (``provenance.best_of``). With ``--lm`` the chat steps (answer,
generate 3 s) are timed with that model too; without it they are left out, not faked.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from tdmm_lm.provenance import best_of, write_result  # noqa: E402

DEFAULT_TAKE = ROOT.parent / "shared" / "assets" / "livelinkface" / "MySlate_3_Jason_Millers_iPhone.csv"
PROMPT = "a person smiles and then blinks"


def time_publish(kind: str, source: str, out: Path) -> dict:
    from tdmm_lm.hub import PublishConfig, publish
    start = time.perf_counter()
    report = publish(PublishConfig(kind, Path(source), f"someone/{kind}", dry_run=True, out=out))
    seconds = time.perf_counter() - start
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return {"source": source, "seconds": round(seconds, 2), "files": len(report.files),
            "megabytes": round(size / 1e6, 2), "checks": report.checks}


def time_demo(take: Path, lm_run: str | None) -> dict:
    from tdmm_lm.app.session import load_model
    from tdmm_lm.app.web import Demo
    from tdmm_lm.motion import load

    motion = load(take)
    model = load_model(lm_run) if lm_run else _NoModel()
    demo = Demo(model)
    conv = demo.upload(str(take), None)[0]
    out = {"take": take.name, "take_frames": motion.num_frames, "take_fps": motion.fps,
           "upload_and_render_s": round(best_of(lambda: demo.upload(str(take), None)), 2),
           "sample_and_render_s": round(best_of(lambda: demo.sample(0, None)), 2)}
    if lm_run:
        out["model"] = lm_run
        out["answer_s"] = round(best_of(lambda: conv.model.answer(
            motion, "what is the person doing?", [], seed=0)), 2)
        out["generate_3s_and_render_s"] = round(best_of(lambda: demo.generate(PROMPT, 3.0, conv)), 2)
    return out


class _NoModel:
    """Uploading and rendering need no model; only ``fps`` is read by the page."""

    fps = 30.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokenizer", required=True)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--lm", default=None, help="a TDMM-LM run, to time the chat steps")
    parser.add_argument("--take", default=str(DEFAULT_TAKE))
    parser.add_argument("--out", default=str(ROOT / "eval" / "results" / "product_timings"))
    args = parser.parse_args()
    torch.set_num_threads(2)

    scratch = Path(tempfile.mkdtemp(prefix="product-timings-"))
    try:
        results = {"publish_tokenizer": time_publish("tokenizer", args.tokenizer, scratch / "tok"),
                   "publish_dataset": time_publish("dataset", args.dataset, scratch / "ds"),
                   "demo": time_demo(Path(args.take), args.lm)}
    finally:
        shutil.rmtree(scratch)
    t, d, demo = results["publish_tokenizer"], results["publish_dataset"], results["demo"]
    rows = [f"| publish tokenizer `{t['source']}` (dry run: build + reload + probe) | "
            f"{t['seconds']} | {t['files']} files, {t['megabytes']} MB |",
            f"| publish dataset `{d['source']}` (dry run: parquet + load_dataset check) | "
            f"{d['seconds']} | {d['files']} files, {d['megabytes']} MB |",
            f"| demo: upload + render `{demo['take']}` ({demo['take_frames']} frames at "
            f"{demo['take_fps']:g} fps; 15 fps preview video + curve plot) | "
            f"{demo['upload_and_render_s']} | best of 3 |",
            f"| demo: FaceScript sample + render | {demo['sample_and_render_s']} | best of 3 |"]
    if "answer_s" in demo:
        rows += [f"| chat answer (`{demo['model']}`) | {demo['answer_s']} | best of 3 |",
                 f"| generate 3 s + render + CSV/npz | {demo['generate_3s_and_render_s']} | best of 3 |"]
    else:
        rows.append("| chat answer, generation | not measured | no `--lm` run given |")
    markdown = ("# Product steps: publishing and the web demo\n\n"
                "| step | seconds | notes |\n| --- | --- | --- |\n" + "\n".join(rows) + "\n")
    json_path, md_path = write_result(args.out, results, markdown)
    print(markdown)
    print(f"wrote {json_path} and {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
