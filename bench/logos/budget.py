"""Where one page's time goes, against the 300 ms target: the cheapest pass this detector's design can make.

    python bench/logos/budget.py DATA_DIR [--drafts 40] [--step 8] [--json OUT]

For each single-page draft of a set (every `--step`-th, `--drafts` of them), the CPU time (one OpenCV thread) of
the stages of `detect_on_page`, each on a freshly prepared page (no stage reuses another's cached work):
- `decode`: decoding or rendering the page (the evaluator's floor);
- `prepare`: the page's pyramid, colour planes and edges;
- `coarse proposals`: every party's current logo searched by the coarse ladders only (the pyramid levels from
  `COARSE_FIRST_LEVEL`), with their re-scoring, and nothing verified;
- `coarse look`: that, and the best coarse candidate of each party verified once (aligned against its rivals,
  its name read where the policy would accept it): the least any page costs, the parties all shown and proven
  by their first candidate (`detect_on_page(coarse_only=every party)`);
- `full search`: the product's search of a single page (as `OpenCvLogoMatcher.check` runs it).
It also counts the verifications and the Tesseract reads of the coarse look and of the full search, and prints
the median cost of one verification. The figures say whether tuning can reach the target: when the coarse look
alone costs more than 300 ms, no order of search, threshold or cache of this design can.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from comms_approval.adapters.convention_file import load_convention  # noqa: E402
from comms_approval.adapters.logos import detector, wordmark  # noqa: E402
from comms_approval.domain.logos import LogoVersion  # noqa: E402
from comms_approval.services.logo_check import OpenCvLogoMatcher  # noqa: E402

TARGET_MS = 300.0
STAGES = ("decode", "prepare", "coarse proposals", "coarse look", "full search")


class _Counter:
    """Counts (and times) the calls of one function, patched in place for the run."""

    def __init__(self, owner: Any, name: str) -> None:
        self.owner, self.name, self.calls, self.ms = owner, name, 0, 0.0
        self.original: Callable[..., Any] = getattr(owner, name)

    def __enter__(self) -> _Counter:
        original = self.original

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            start = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.ms += (time.process_time() - start) * 1000.0

        setattr(self.owner, self.name, counted)
        return self

    def __exit__(self, *exc: object) -> None:
        setattr(self.owner, self.name, self.original)

    def take(self) -> tuple[int, float]:
        calls, ms = self.calls, self.ms
        self.calls, self.ms = 0, 0.0
        return calls, ms


def _cpu(action: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    start = time.process_time()
    result = action(*args, **kwargs)
    return (time.process_time() - start) * 1000.0, result


def measure(data: Path, drafts: int, step: int) -> list[dict[str, Any]]:
    cv2.setNumThreads(1)
    checker = OpenCvLogoMatcher()
    truth = json.loads((data / "truth.json").read_text(encoding="utf-8"))["documents"]
    conventions: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    with _Counter(detector, "verify") as verifications, _Counter(wordmark.WordReader, "read") as reads:
        for doc in truth[::step][:drafts]:
            conv = conventions.get(doc["convention"])
            if conv is None:
                conv = conventions[doc["convention"]] = load_convention(data / doc["convention"])
            row = _measure_draft(checker, data / doc["file"], conv, verifications, reads)
            row["file"] = doc["file"]
            row["absent"] = sum(1 for p in doc["parties"].values() if p["expected"] != "present")
            rows.append(row)
    return rows


def _measure_draft(
    checker: OpenCvLogoMatcher, path: Path, conv: Any, verifications: _Counter, reads: _Counter
) -> dict[str, Any]:
    refs = checker.references(conv)
    parties = frozenset(p.id for p in conv.parties)
    min_widths = {party.id: party.min_logo_width_mm for party in conv.parties}
    # each reference's page-independent work (templates, its name read once) is not a page's cost
    detector.detect_on_page(_prepared(next(iter(checker.pages(path)))), refs, coarse_only=parties)
    verifications.take(), reads.take()

    decode_ms, raster = _cpu(lambda: next(iter(checker.pages(path))))
    prepare_ms, page = _cpu(_prepared, raster)
    proposals_ms, _ = _cpu(_coarse_proposals, page, refs)
    look_ms, _ = _cpu(detector.detect_on_page, _prepared(raster), refs, coarse_only=parties)
    look_verifications, _ = verifications.take()
    look_reads, look_read_ms = reads.take()
    full_ms, _ = _cpu(detector.detect_on_page, _prepared(raster), refs, min_width_mm=min_widths)
    full_verifications, _ = verifications.take()
    full_reads, full_read_ms = reads.take()
    return {
        "decode": decode_ms,
        "prepare": prepare_ms,
        "coarse proposals": proposals_ms,
        "coarse look": prepare_ms + look_ms,
        "full search": prepare_ms + full_ms,
        "look verifications": look_verifications,
        "look reads": look_reads,
        "look read ms": look_read_ms,
        "full verifications": full_verifications,
        "full reads": full_reads,
        "full read ms": full_read_ms,
    }


def _prepared(raster: Any) -> detector.PreparedPage:
    return detector.prepare_page(raster.rgb, raster.number, raster.width_mm, raster.height_mm)


def _coarse_proposals(page: detector.PreparedPage, refs: detector.ReferenceSet) -> None:
    for ref in refs.refs:
        if ref.version is LogoVersion.CURRENT:
            detector.propose(
                page,
                ref,
                sizes=(detector.FIRST_PASS_FRACTION, detector.MAX_FRACTION),
                limit=detector.CANDIDATES_PER_REFERENCE,
                min_level=detector.COARSE_FIRST_LEVEL,
            )


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(rows: list[dict[str, Any]]) -> dict[str, Any]:
    figures: dict[str, Any] = {"drafts": len(rows)}
    print(f"{len(rows)} single-page drafts; CPU ms per page, one thread; target {TARGET_MS:.0f} ms")
    print(f"{'stage':<18}{'median':>8}{'p10':>8}{'p90':>8}{'× target':>10}")
    for stage in STAGES:
        values = [r[stage] for r in rows]
        median = statistics.median(values)
        figures[stage] = {"median": median, "p10": _quantile(values, 0.1), "p90": _quantile(values, 0.9)}
        print(
            f"{stage:<18}{median:8.0f}{_quantile(values, 0.1):8.0f}{_quantile(values, 0.9):8.0f}"
            f"{median / TARGET_MS:10.2f}"
        )
    per_verification = [
        (r["coarse look"] - r["prepare"] - r["coarse proposals"]) / r["look verifications"]
        for r in rows
        if r["look verifications"]
    ]
    for scope in ("look", "full"):
        verifications = statistics.median(r[f"{scope} verifications"] for r in rows)
        reads = statistics.median(r[f"{scope} reads"] for r in rows)
        read_ms = statistics.median(r[f"{scope} read ms"] for r in rows)
        figures[f"{scope} verifications"] = verifications
        figures[f"{scope} reads"] = reads
        figures[f"{scope} read ms"] = read_ms
        name = "coarse look" if scope == "look" else "full search"
        print(
            f"{name}: {verifications:.0f} verifications per page (median), "
            f"{reads:.0f} name readings costing {read_ms:.0f} ms"
        )
    figures["ms per verification"] = statistics.median(per_verification)
    print(
        f"one verification of the coarse look (its rivals and name included): {figures['ms per verification']:.0f} ms"
    )
    by_absent: dict[int, list[float]] = {}
    for r in rows:
        by_absent.setdefault(r["absent"], []).append(r["full search"])
    figures["full search by absent parties"] = {k: statistics.median(v) for k, v in sorted(by_absent.items())}
    print(
        "full search by parties not shown current (median ms): "
        + ", ".join(f"{k}: {statistics.median(v):.0f} ({len(v)})" for k, v in sorted(by_absent.items()))
    )
    return figures


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("data", type=Path)
    p.add_argument("--drafts", type=int, default=40)
    p.add_argument("--step", type=int, default=8)
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    rows = measure(args.data, args.drafts, args.step)
    figures = report(rows)
    if args.json:
        args.json.write_text(json.dumps({"figures": figures, "drafts": rows}, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
