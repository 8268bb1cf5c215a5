"""``tdmm-lm eval train-extractor|run|detect``: the shared benchmark evaluator."""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    group = sub.add_parser("eval", help="train the benchmark's feature extractor and score models")
    cmds = group.add_subparsers(dest="eval_command", metavar="ACTION", required=True)

    from tdmm_lm.training.args import add_train_args   # no torch: --help stays fast
    p = cmds.add_parser("train-extractor", help="train the text-motion feature extractor")
    add_train_args(p, "configs/benchmark/")
    p.set_defaults(handler=train_extractor)

    p = cmds.add_parser("run", help="score every generator and describer of a benchmark file")
    p.add_argument("benchmark", help="benchmark YAML (eval/benchmarks/*.yaml)")
    p.add_argument("--only", help="comma-separated model labels or registry names to score")
    p.add_argument("--replications", type=int, help="override replications (the protocol: 20)")
    p.add_argument("--limit", type=int, help="only the first N clips (a quick look, not a result)")
    p.add_argument("--cache-dir", help="override cache_dir")
    p.add_argument("--results-dir", help="override results_dir")
    p.add_argument("--no-write", action="store_true", help="print the tables, write no result files")
    p.set_defaults(handler=run)

    p = cmds.add_parser("detect", help="the FaceScript primitives the rule-based detectors find")
    p.add_argument("motion", help="motion file (Live Link Face CSV, FLAME or motion .npz)")
    p.add_argument("--describe", action="store_true", help="also print the rule-based description")
    p.set_defaults(handler=detect)


def train_extractor(args) -> int:
    from tdmm_lm.benchmark.extractor import ExtractorConfig, train_extractor as train
    from tdmm_lm.training.args import config_from_args

    out = train(config_from_args(ExtractorConfig, args), progress=not args.no_progress)
    print(f"extractor: {out}")
    return 0


def run(args) -> int:
    from tdmm_lm.benchmark.config import BenchmarkConfig
    from tdmm_lm.benchmark.report import markdown
    from tdmm_lm.benchmark.runner import run_benchmark, write_results

    cfg = BenchmarkConfig.from_yaml(args.benchmark)
    cfg.select([s.strip() for s in args.only.split(",") if s.strip()] if args.only else None)
    for key in ("replications", "limit", "cache_dir", "results_dir"):
        if getattr(args, key) is not None:
            setattr(cfg, key, getattr(args, key))
    cfg.__post_init__()   # validate the overrides like the file's own values
    if not args.no_write:
        from tdmm_lm.provenance import check_writable
        check_writable(Path(cfg.results_dir) / cfg.name)   # before scoring, not after
    results = run_benchmark(cfg)
    if args.no_write:
        print(markdown(cfg, results))
        return 0
    json_path, md_path = write_results(cfg, results)
    print(md_path.read_text().split("\n## Environment")[0])
    print(f"wrote {md_path} and {json_path}")
    return 0


def detect(args) -> int:
    from tdmm_lm.benchmark.detectors import describe_events, detect as find
    from tdmm_lm.motion import load

    events = find(load(args.motion))
    for e in events:
        side = f" ({e.side})" if e.side else ""
        times = f" x{e.count}" if e.count > 1 else ""
        print(f"{e.start_s:6.2f}-{e.end_s:6.2f} s  {e.action}{side}{times}  peak {e.peak:.2f}")
    if not events:
        print("no FaceScript primitive found")
    if args.describe:
        print(describe_events(events))
    return 0
