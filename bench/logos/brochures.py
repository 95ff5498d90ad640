"""Multi-page documents: brochures made of a set's drafts, checked as the product does and page by page in full.

    python bench/logos/brochures.py DATA_DIR [--pages 4] [--per-convention 2] [--json OUT]

Every draft of a set is one page. A brochure binds `--pages` image drafts (JPEG, PNG) into one PDF, one draft a
page, as Pillow writes it (full-page images: rendered, not matched as image objects), in two layouts:
- `consecutive`: consecutive drafts of one convention (its logos spread over the pages);
- `back cover`: drafts of the next convention (other bodies' logos), then one draft of this convention last;
- `compliant back cover`: the same, the last draft one where every party's current logo is expected.
A party must be `present` when its current logo is expected on at least one page of its convention, and must not
be when it is on none (the page-level truth of `generate.py`; ambiguous parties left out).

Each brochure is checked twice: by the product (`OpenCvLogoMatcher.check`: every page looked at coarsely first,
then searched in full for the parties still missing), and as the code before did, every page searched in full for
every party not yet proven, page after page. Prints CPU per page, the parties found and the false "present" of
both, and the brochures whose statuses differ.
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

from comms_approval.adapters import documents  # noqa: E402
from comms_approval.adapters.convention_file import load_convention  # noqa: E402
from comms_approval.adapters.logos.detector import detect_on_page, prepare_page  # noqa: E402
from comms_approval.domain.convention import Convention  # noqa: E402
from comms_approval.domain.logos import LogoStatus, PartyRequirement, decide_document  # noqa: E402
from comms_approval.services.logo_check import OpenCvLogoMatcher  # noqa: E402

IMAGE_KINDS = {"jpeg", "png"}


def brochures(
    data: Path, pages: int, per_convention: int
) -> list[tuple[str, str, list[dict[str, Any]], int]]:
    """(layout, convention file, drafts in page order, how many of the last pages are the convention's own)."""
    by_convention: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for doc in json.loads((data / "truth.json").read_text(encoding="utf-8"))["documents"]:
        if doc["kind"] in IMAGE_KINDS:
            by_convention[doc["convention"]].append(doc)
    names = sorted(by_convention)
    groups = []
    for n, convention in enumerate(names):
        docs = by_convention[convention]
        for k in range(per_convention):
            own = docs[k * pages : (k + 1) * pages]
            if len(own) == pages:
                groups.append(("consecutive", convention, own, pages))
            others = by_convention[names[(n + 1) % len(names)]][k * (pages - 1) : (k + 1) * (pages - 1)]
            if len(others) < pages - 1 or names[(n + 1) % len(names)] == convention:
                continue
            groups.append(("back cover", convention, [*others, docs[-1 - k]], 1))
            compliant = [d for d in docs if all(t["expected"] == "present" for t in d["parties"].values())]
            if len(compliant) > k:
                groups.append(("compliant back cover", convention, [*others, compliant[k]], 1))
    return groups


def write_pdf(data: Path, docs: list[dict[str, Any]], out: Path) -> None:
    images = [Image.open(data / doc["file"]).convert("RGB") for doc in docs]
    images[0].save(out, "PDF", resolution=150.0, save_all=True, append_images=images[1:], quality=95)


def expected_present(own: list[dict[str, Any]]) -> dict[str, bool]:
    """Per party: whether its current logo is expected `present` on at least one of its convention's pages.
    Parties ambiguous on a page (see `generate.py`) are left out, as `evaluate.py` leaves them out."""
    out: dict[str, bool] = {}
    ambiguous: set[str] = set()
    for doc in own:
        for party, truth in doc["parties"].items():
            out[party] = out.get(party, False) or truth["expected"] == "present"
            if truth["ambiguous"]:
                ambiguous.add(party)
    return {party: present for party, present in out.items() if party not in ambiguous}


def page_by_page_in_full(checker: OpenCvLogoMatcher, path: Path, convention: Convention) -> dict[str, str]:
    """The code before: every page searched in full for every party not yet proven, page after page."""
    refs = checker.references(convention)
    requirements = [PartyRequirement(p.id, p.min_logo_width_mm) for p in convention.parties]
    evidence: list[Any] = []
    present: set[str] = set()
    for raster in documents.iter_pages(path):
        if len(present) == len(requirements):
            break
        page = prepare_page(raster.rgb, raster.number, raster.width_mm, raster.height_mm)
        evidence += detect_on_page(
            page,
            refs,
            skip_parties=frozenset(),
            min_width_mm={r.party: r.min_width_mm for r in requirements},
        )
        results = decide_document(requirements, evidence)
        present = {r.party for r in results if r.status is LogoStatus.PRESENT}
    return {r.party: r.status.value for r in decide_document(requirements, evidence)}


MODES = ("product", "page by page in full")


def run(data: Path, pages: int, per_convention: int) -> dict[str, Any]:
    checker = OpenCvLogoMatcher()
    figures: dict[tuple[str, str], dict[str, Any]] = {}
    differ: list[str] = []
    groups = brochures(data, pages, per_convention)
    warm: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        for n, (layout, convention_file, docs, own) in enumerate(groups, 1):
            convention = load_convention(data / convention_file)
            if convention_file not in warm:  # references loaded and their names read before any timing
                checker.check(data / docs[-1]["file"], convention)
                warm.add(convention_file)
            path = Path(tmp) / f"brochure-{n}.pdf"
            write_pdf(data, docs, path)
            truth = expected_present(docs[len(docs) - own :])
            statuses: dict[str, dict[str, str]] = {}
            line = []
            for mode in MODES:
                cpu = time.process_time()
                if mode == "product":
                    statuses[mode] = {
                        r.party: r.status.value for r in checker.check(path, convention).parties
                    }
                else:
                    statuses[mode] = page_by_page_in_full(checker, path, convention)
                ms = (time.process_time() - cpu) * 1000.0 / len(docs)
                f = figures.setdefault(
                    (layout, mode),
                    {"ms_per_page": [], "found": 0, "expected": 0, "false_present": 0, "absent": 0},
                )
                f["ms_per_page"].append(ms)
                for party, present in truth.items():
                    got = statuses[mode][party] == LogoStatus.PRESENT.value
                    f["expected" if present else "absent"] += 1
                    f["found" if present else "false_present"] += got
                line.append(f"{mode} {ms:.0f}")
            if statuses[MODES[0]] != statuses[MODES[1]]:
                differ.append(f"{layout}: {', '.join(d['file'] for d in docs)}: {statuses}")
            print(
                f"[{n}/{len(groups)}] {layout}: {', '.join(d['file'] for d in docs)}: {', '.join(line)} ms/page",
                file=sys.stderr,
            )
    summary = [
        {
            "layout": layout,
            "mode": mode,
            "brochures": len(f["ms_per_page"]),
            "ms_per_page_median": statistics.median(f["ms_per_page"]),
            "ms_per_page_mean": statistics.fmean(f["ms_per_page"]),
            "found": f"{f['found']}/{f['expected']}",
            "false_present": f"{f['false_present']}/{f['absent']}",
        }
        for (layout, mode), f in figures.items()
    ]
    return {"pages": pages, "summary": summary, "statuses_differ": differ}


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
    for row in result["summary"]:
        print(
            f"{row['layout']:20} {row['mode']:21} {row['brochures']} brochures of {result['pages']} pages: CPU "
            f"{row['ms_per_page_median']:.0f} ms/page median ({row['ms_per_page_mean']:.0f} mean); parties found "
            f'{row["found"]}, false "present" {row["false_present"]}'
        )
    print(f"statuses that differ: {len(result['statuses_differ'])}")
    for line in result["statuses_differ"]:
        print("  " + line)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
