"""Multi-page documents: the same check on brochures made of a set's drafts, with and without the coarse-only look
for parties proven on an earlier page.

    python bench/logos/brochures.py DATA_DIR [--pages 4] [--per-convention 2] [--json OUT]

Each brochure is a PDF of `--pages` consecutive image drafts (JPEG, PNG) of one convention, one draft a page, as
Pillow writes it (full-page images: rendered, not matched as image objects). A party must be `present` when its
current logo is expected on at least one page, and must not be when it is on none (the page-level truth of
`generate.py`). The brochure is checked twice, by the same checker: as the product does it (a party proven on a
page gets only its best coarse candidate verified on the next ones) and with every party searched in full on
every page (what it did before). Prints, for both: CPU per page, parties found, false "present", and the
brochures whose statuses differ.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from comms_approval.adapters.convention_file import load_convention  # noqa: E402
from comms_approval.adapters.logos import detector  # noqa: E402
from comms_approval.services.logo_check import OpenCvLogoMatcher  # noqa: E402

IMAGE_KINDS = {"jpeg", "png"}


def brochures(data: Path, pages: int, per_convention: int) -> list[tuple[str, list[dict[str, Any]]]]:
    """Groups of `pages` consecutive image drafts of one convention, at most `per_convention` per convention."""
    by_convention: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for doc in json.loads((data / "truth.json").read_text(encoding="utf-8"))["documents"]:
        if doc["kind"] in IMAGE_KINDS:
            by_convention[doc["convention"]].append(doc)
    groups = []
    for convention, docs in sorted(by_convention.items()):
        for start in range(0, min(len(docs), pages * per_convention) - pages + 1, pages):
            groups.append((convention, docs[start : start + pages]))
    return groups


def write_pdf(data: Path, docs: list[dict[str, Any]], out: Path) -> None:
    images = [Image.open(data / doc["file"]).convert("RGB") for doc in docs]
    images[0].save(out, "PDF", resolution=150.0, save_all=True, append_images=images[1:], quality=95)


def expected_present(docs: list[dict[str, Any]]) -> dict[str, bool]:
    """Per party: whether its current logo is expected `present` on at least one page. Parties ambiguous on a
    page (see `generate.py`) are left out, as `evaluate.py` leaves them out."""
    out: dict[str, bool] = {}
    ambiguous: set[str] = set()
    for doc in docs:
        for party, truth in doc["parties"].items():
            out[party] = out.get(party, False) or truth["expected"] == "present"
            if truth["ambiguous"]:
                ambiguous.add(party)
    return {party: present for party, present in out.items() if party not in ambiguous}


def run(data: Path, pages: int, per_convention: int) -> dict[str, Any]:
    checker = OpenCvLogoMatcher()
    original = detector.detect_on_page

    def every_party_in_full(page: Any, refs: Any, **kw: Any) -> Any:
        return original(page, refs, **{**kw, "proven_elsewhere": frozenset()})

    figures: dict[str, dict[str, Any]] = {
        mode: {"ms_per_page": [], "found": 0, "expected": 0, "false_present": 0, "absent": 0}
        for mode in ("coarse look", "in full")
    }
    differ: list[str] = []
    groups = brochures(data, pages, per_convention)
    with tempfile.TemporaryDirectory() as tmp:
        warm: set[str] = set()
        for n, (convention_file, docs) in enumerate(groups, 1):
            convention = load_convention(data / convention_file)
            if convention_file not in warm:  # references loaded and their names read before any timing
                checker.check(data / docs[0]["file"], convention)
                warm.add(convention_file)
            path = Path(tmp) / f"brochure-{n}.pdf"
            write_pdf(data, docs, path)
            truth = expected_present(docs)
            statuses = {}
            for mode, f in figures.items():
                detector.detect_on_page = every_party_in_full if mode == "in full" else original  # type: ignore[assignment]
                try:
                    cpu = time.process_time()
                    report = checker.check(path, convention)
                    ms = (time.process_time() - cpu) * 1000.0 / report.pages
                finally:
                    detector.detect_on_page = original  # type: ignore[assignment]
                f["ms_per_page"].append(ms)
                got = {r.party: r.status.value for r in report.parties}
                statuses[mode] = got
                for party, present in truth.items():
                    if present:
                        f["expected"] += 1
                        f["found"] += got[party] == "present"
                    else:
                        f["absent"] += 1
                        f["false_present"] += got[party] == "present"
            if statuses["coarse look"] != statuses["in full"]:
                differ.append(f"{path.name} ({', '.join(d['file'] for d in docs)}): {statuses}")
            print(
                f"[{n}/{len(groups)}] {', '.join(d['file'] for d in docs)}: "
                + ", ".join(f"{m} {figures[m]['ms_per_page'][-1]:.0f} ms/page" for m in figures),
                file=sys.stderr,
            )
    summary = {
        mode: {
            "brochures": len(f["ms_per_page"]),
            "pages": len(f["ms_per_page"]) * pages,
            "ms_per_page_median": statistics.median(f["ms_per_page"]) if f["ms_per_page"] else None,
            "ms_per_page_mean": statistics.fmean(f["ms_per_page"]) if f["ms_per_page"] else None,
            "recall": f"{f['found']}/{f['expected']}",
            "false_present": f"{f['false_present']}/{f['absent']}",
        }
        for mode, f in figures.items()
    }
    return {"summary": summary, "statuses_differ": differ}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument("--per-convention", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    import cv2

    cv2.setNumThreads(1)
    result = run(args.data, args.pages, args.per_convention)
    for mode, s in result["summary"].items():
        print(
            f"{mode:12} {s['brochures']} brochures, {s['pages']} pages: CPU {s['ms_per_page_median']:.0f} ms/page "
            f"median ({s['ms_per_page_mean']:.0f} mean); parties found {s['recall']}, "
            f'false "present" {s["false_present"]}'
        )
    print(f"statuses that differ: {len(result['statuses_differ'])}")
    for line in result["statuses_differ"]:
        print("  " + line)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
