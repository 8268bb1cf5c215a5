"""``tdmm-lm vq train|encode|decode|eval|tokenize-dataset``: the motion tokenizer."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from tdmm_lm.cli.options import add_rig_arg


def register(sub) -> None:
    group = sub.add_parser("vq", help="train and use the motion tokenizer (VQ-VAE)")
    cmds = group.add_subparsers(dest="vq_command", metavar="ACTION", required=True)

    from tdmm_lm.vqvae.args import add_args   # no torch: --help stays fast
    p = cmds.add_parser("train", help="train (or resume) a tokenizer from a config")
    add_args(p)
    p.set_defaults(handler=train)

    p = cmds.add_parser("encode", help="print the tokens of a motion file")
    p.add_argument("motion", help="Live Link Face CSV, FLAME or motion .npz")
    _model_arg(p)
    p.set_defaults(handler=encode)

    p = cmds.add_parser("decode", help="turn tokens into a motion file")
    p.add_argument("codes", help="file of whitespace/comma-separated ints, or '-' for stdin")
    _model_arg(p)
    p.add_argument("-o", "--output", required=True, help="output motion file (.csv or .npz)")
    p.add_argument("--fps", type=float, help="resample the output to this frame rate")
    p.set_defaults(handler=decode)

    p = cmds.add_parser("eval", help="reconstruction metrics on a dataset split")
    _model_arg(p)
    p.add_argument("--dataset", required=True, help="DatasetDict folder")
    p.add_argument("--split", default="test")
    p.add_argument("--limit", type=int, help="only the first N clips")
    add_rig_arg(p)
    p.add_argument("--flame-model", help="FLAME model folder (flame datasets)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=evaluate)

    p = cmds.add_parser("tokenize-dataset", help="add a `codes` column to every split")
    p.add_argument("dataset", help="DatasetDict folder")
    _model_arg(p)
    p.add_argument("--out", required=True, help="folder for the tokenized DatasetDict")
    p.set_defaults(handler=tokenize_dataset)


def _model_arg(p) -> None:
    # the same name as every trainer's --motion-tokenizer; --model stays for old scripts
    p.add_argument("--motion-tokenizer", "--model", dest="model", required=True,
                   help="motion tokenizer folder (save_pretrained), a training run folder, or a hub id")


def _tokenizer(path: str):
    """``MotionTokenizer.from_pretrained`` (a folder, a run or a Hub repo id), imported on use
    so ``--help`` stays free of torch."""
    from tdmm_lm.vqvae.tokenizer import MotionTokenizer
    return MotionTokenizer.from_pretrained(path)


def train(args) -> int:
    from tdmm_lm.training.args import config_from_args
    from tdmm_lm.vqvae.config import VQConfig
    from tdmm_lm.vqvae.train import train as run

    best = run(config_from_args(VQConfig, args), rig=args.rig, flame_model=args.flame_model,
               progress=not args.no_progress)
    print(f"best tokenizer: {best}")
    return 0


def encode(args) -> int:
    from tdmm_lm.motion import load

    tok = _tokenizer(args.model)
    print(" ".join(map(str, tok.encode(load(args.motion)))))
    return 0


def read_codes(source: str) -> list[int]:
    """Ints separated by whitespace and/or commas from a file or ``-`` (stdin)."""
    from tdmm_lm.errors import TdmmError

    from tdmm_lm.limits import check_limit, limit

    # a code and its separator take at least 2 bytes: refuse a file that cannot fit the limit
    # before reading it (a 12 MB file of 4M codes would otherwise reach the decoder)
    most = int(limit("decode_codes")) * _MAX_CODE_BYTES
    try:
        if source == "-":
            text = sys.stdin.read(most + 1)
        else:
            with open(source, encoding="utf-8", errors="replace") as f:
                text = f.read(most + 1)
    except OSError as e:
        raise TdmmError(f"{source}: cannot read codes ({e.strerror})") from None
    if len(text) > most:
        raise TdmmError(f"{source}: more than {most} bytes, more than the "
                        f"{limit('decode_codes'):g}-code limit can hold; set TDMM_MAX_DECODE_CODES "
                        "to allow more")
    items = [t for t in re.split(r"[\s,]+", text.strip()) if t]
    check_limit("decode_codes", len(items), f"{source}: number of codes")
    # codes are small ints: 18 digits keeps int() and int64 tensors from overflowing
    bad = next((t for t in items if not re.fullmatch(r"-?\d{1,18}", t)), None)
    if bad is not None:
        raise TdmmError(f"{source}: {bad[:20]!r}{'...' if len(bad) > 20 else ''} is not an "
                        "integer code (expect small ints separated by spaces or commas)")
    if not items:
        raise TdmmError(f"{source}: no codes found")
    return [int(t) for t in items]


_MAX_CODE_BYTES = 20   # the longest code ``read_codes`` accepts (18 digits, a sign) + a separator


def decode(args) -> int:
    from tdmm_lm.motion import save

    tok = _tokenizer(args.model)
    motion = tok.decode(read_codes(args.codes), fps=args.fps)
    save(motion, args.output)
    print(f"wrote {args.output} ({motion.num_frames} frames at {motion.fps:g} fps)")
    return 0


def evaluate(args) -> int:
    from tdmm_lm.vqvae.evaluate import evaluate_dataset, summary_line

    tok = _tokenizer(args.model)
    metrics = evaluate_dataset(tok, args.dataset, args.split, rig=args.rig,
                               flame_model=args.flame_model, limit=args.limit)
    metrics["model"] = args.model
    print(json.dumps(metrics, indent=1) if args.json else summary_line(metrics))
    return 0


def tokenize_dataset(args) -> int:
    from tdmm_lm.data.schema import load_dataset_dict, save_dataset_dict
    from tdmm_lm.errors import TdmmError
    from tdmm_lm.vqvae.dataset import tokenize_dataset as run

    from tdmm_lm.atomic import atomic_folder

    out = Path(args.out)
    if out.resolve() == Path(args.dataset).resolve():
        raise TdmmError("--out must differ from the input dataset folder")
    if out.exists() and not (out / "dataset_dict.json").is_file() and (
            not out.is_dir() or any(out.iterdir())):
        raise TdmmError(f"--out {out} exists and is not a dataset folder; refusing to replace it")
    tok = _tokenizer(args.model)
    dd = run(load_dataset_dict(args.dataset), tok)
    with atomic_folder(out, overwrite=True) as tmp:   # an old dataset stays until this one is whole
        save_dataset_dict(dd, str(tmp))
    print(f"wrote {args.out} ({', '.join(f'{k} {len(v)}' for k, v in dd.items())}; "
          f"{tok.tokens_per_second:g} tokens/s, vocab {tok.vocab_size})")
    return 0
