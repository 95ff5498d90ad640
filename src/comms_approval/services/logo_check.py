"""The logo check use case: every party's current logo on a draft, as a per-party report (Article 8)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from comms_approval.adapters.logos.caches import Recent
from comms_approval.domain.convention import Convention
from comms_approval.domain.logos import (
    DEFAULT_THRESHOLDS,
    LogoEvidence,
    LogoReport,
    LogoStatus,
    LogoThresholds,
    LogoVersion,
    PartyRequirement,
    decide_document,
)

if TYPE_CHECKING:
    from comms_approval.adapters.documents import PageRaster
    from comms_approval.adapters.logos.detector import ReferenceSet
    from comms_approval.config import Settings


# Told (pages searched so far, pages to search at most) as a check goes: a multi-page document's pages are
# looked at twice at most (coarsely, then in full); the check often ends before the most.
Progress = Callable[[int, int], None]


class LogoChecker(Protocol):
    """Port: checks a draft against a convention's logos."""

    def check(
        self,
        document: Path,
        convention: Convention,
        *,
        annotate_dir: Path | None = None,
        progress: Progress | None = None,
    ) -> LogoReport: ...


def _requirements(convention: Convention) -> list[PartyRequirement]:
    return [PartyRequirement(p.id, p.min_logo_width_mm) for p in convention.parties]


class OpenCvLogoMatcher:
    """The real checker: PDF image objects first (fast path), then rendered pages; reference logos cached."""

    def __init__(
        self,
        *,
        thresholds: LogoThresholds = DEFAULT_THRESHOLDS,
        max_pages: int = 200,
        kept_pages: int = 16,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.thresholds = thresholds
        self.max_pages = max_pages
        self.kept_pages = kept_pages
        self._clock = clock
        self._cache: Recent[tuple[object, ...], ReferenceSet] = Recent(self.CONVENTIONS_KEPT)

    # Conventions whose logos are kept loaded: ~10-15 MB a logo (its planes, and its templates by width).
    CONVENTIONS_KEPT = 8

    def references(self, convention: Convention) -> ReferenceSet:
        """The convention's reference logos, loaded once per convention and file version (the last
        `CONVENTIONS_KEPT` kept)."""
        from comms_approval.adapters.logos.detector import ReferenceSet
        from comms_approval.adapters.logos.references import load_reference

        files = [(p.id, LogoVersion.CURRENT, path) for p in convention.parties for path in p.logos]
        files += [(p.id, LogoVersion.OBSOLETE, path) for p in convention.parties for path in p.obsolete_logos]
        key = (
            convention.id,
            tuple((str(path), path.stat().st_mtime_ns if path.exists() else 0) for _, _, path in files),
        )
        return self._cache.get(
            key,
            lambda: ReferenceSet.build(
                [load_reference(path, party, version) for party, version, path in files]
            ),
        )

    def check(
        self,
        document: Path,
        convention: Convention,
        *,
        annotate_dir: Path | None = None,
        progress: Progress | None = None,
    ) -> LogoReport:
        from comms_approval.adapters import documents

        start = self._clock()
        document = Path(document)
        refs = self.references(convention)
        requirements = _requirements(convention)
        evidence: list[LogoEvidence] = []
        info = documents.validate_document(document, max_pages=self.max_pages)

        if info.kind == "pdf":
            evidence.extend(self._embedded_evidence(document, refs, info.page_sizes_mm))
        # Pages annotated are rendered once and searched from memory, up to `kept_pages` of them (an A4 page at
        # 150 dpi holds 6.5 MB: 200 pages would hold 1.3 GB); a longer document is rendered again for its
        # annotations, page by page (rendering costs ~1 % of a page's search).
        keep = annotate_dir is not None and info.pages <= self.kept_pages
        kept = {raster.number: raster for raster in self.pages(document)} if keep else None
        passes = 2 if info.pages > 1 else 1
        pages = _PageSearch(
            self, document, refs, requirements, evidence, kept, _Tally(progress, passes * info.pages)
        )
        if not pages.complete():
            if info.pages > 1:
                pages.search(coarse=True)
            if not pages.complete():
                pages.search(order=pages.most_promising_first(info.pages))
        pages.tally.finish()
        evidence = pages.evidence()
        results = decide_document(requirements, evidence, self.thresholds)
        elapsed = (self._clock() - start) * 1000.0
        report = LogoReport(str(document), info.pages, results, elapsed)
        if annotate_dir is not None:
            from comms_approval.adapters.logos.annotate import save_annotations

            names = {p.id: p.short_name for p in convention.parties}
            rasters = (kept[n] for n in sorted(kept)) if kept is not None else self.pages(document)
            rendered = ((raster.number, raster.rgb) for raster in rasters)
            paths = save_annotations(rendered, results, names, annotate_dir, document.stem)
            report = report.with_annotations(paths)
        return report

    def pages(self, document: Path, numbers: Sequence[int] | None = None) -> Iterator[PageRaster]:
        from comms_approval.adapters import documents

        return documents.iter_pages(document, max_pages=self.max_pages, numbers=numbers)

    def present(self, requirements: list[PartyRequirement], evidence: list[LogoEvidence]) -> frozenset[str]:
        """The parties the evidence so far proves present in the document."""
        return frozenset(
            r.party
            for r in decide_document(requirements, evidence, self.thresholds)
            if r.status is LogoStatus.PRESENT
        )

    def _embedded_evidence(
        self, document: Path, refs: ReferenceSet, sizes_mm: tuple[tuple[float, float], ...]
    ) -> list[LogoEvidence]:
        """Match the PDF's image objects directly: no rendering when every logo is an embedded image."""
        from comms_approval.adapters import documents
        from comms_approval.adapters.logos.detector import MAX_EMBEDDED_AREA, match_embedded

        out: list[LogoEvidence] = []
        with documents.open_pdf(document) as pdf:
            with documents.PDFIUM_LOCK:
                pages = len(pdf)
            for index in range(pages):
                width_mm, height_mm = sizes_mm[index]
                for image in documents.embedded_images(pdf, index, max_area=MAX_EMBEDDED_AREA):
                    out.extend(
                        match_embedded(
                            image.rgba, image.box, index + 1, width_mm, height_mm, refs, self.thresholds
                        )
                    )
        return out


@dataclass
class _Tally:
    """Counts the pages searched for a `Progress` listener (none: counts for nobody)."""

    listener: Progress | None
    total: int
    done: int = 0

    def page_searched(self) -> None:
        self.done += 1
        if self.listener is not None:
            self.listener(self.done, self.total)

    def finish(self) -> None:
        """The search ended, often before its most: the rest is not to be searched."""
        if self.listener is not None and self.done < self.total:
            self.done = self.total
            self.listener(self.done, self.total)


@dataclass
class _PageSearch:
    """The rendered pages' search of one document, for the parties its PDF image objects did not prove.

    Parties proven by the image objects (`embedded`) are not searched on the rendered pages: their places there
    are those objects'. A multi-page document is searched twice (`search`): first every party's best coarse
    candidate only, page by page: most logos are proven so, and a brochure showing every logo on its back cover
    is then checked at ~0.1 s a party and page instead of every stage on every page before it (~0.5 s for a
    party not on a page). Then in full, for the parties still missing, the most promising pages first; a party
    proven on a page has its coarse look on the others, where its logo, if shown, is proven again and holds its
    place against the other parties' fits (`detect_on_page(coarse_only=...)`). A page's evidence from the full
    search replaces its coarse one (it covers the same candidates).
    """

    checker: OpenCvLogoMatcher
    document: Path
    refs: ReferenceSet
    requirements: list[PartyRequirement]
    embedded_evidence: list[LogoEvidence]
    kept: dict[int, PageRaster] | None  # pages already in memory (annotated): not rendered again
    tally: _Tally
    by_page: dict[int, list[LogoEvidence]] = field(default_factory=dict)
    embedded: frozenset[str] = field(init=False)
    parties: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.embedded = self.checker.present(self.requirements, self.embedded_evidence)
        self.parties = frozenset(r.party for r in self.requirements)

    def evidence(self) -> list[LogoEvidence]:
        return self.embedded_evidence + [ev for page in sorted(self.by_page) for ev in self.by_page[page]]

    def present(self) -> frozenset[str]:
        return self.checker.present(self.requirements, self.evidence())

    def complete(self) -> bool:
        return self.present() == self.parties

    def search(self, *, coarse: bool = False, order: Sequence[int] | None = None) -> None:
        """Search the pages (in `order`) for the parties not yet proven, until every party is; `coarse`: each
        party's best coarse candidate only."""
        from comms_approval.adapters.logos.detector import detect_on_page, prepare_page

        if self.kept is None:
            rasters: Iterable[PageRaster] = self.checker.pages(self.document, order)
        else:
            rasters = (self.kept[n] for n in (order or sorted(self.kept)) if n in self.kept)
        present = self.present()
        for raster in rasters:
            if present == self.parties:
                return
            page = prepare_page(raster.rgb, raster.number, raster.width_mm, raster.height_mm)
            self.by_page[raster.number] = detect_on_page(
                page,
                self.refs,
                thresholds=self.checker.thresholds,
                skip_parties=self.embedded,
                coarse_only=(self.parties if coarse else present) - self.embedded,
                min_width_mm={r.party: r.min_width_mm for r in self.requirements},
            )
            present = self.present()
            self.tally.page_searched()

    def most_promising_first(self, pages: int) -> list[int]:
        """The pages for the full search: those where the most parties are proven first, then those where a
        missing party's coarse look fitted best, then in page order.

        Partners' logos are shown together (a band of logos, a back cover): one the coarse look did not prove
        (too small for the coarse levels, or not conclusive there) is mostly beside the others. Searched there
        first, it is found before the full search of every page before it (~0.5 s a page for a party not on
        it). Its own coarse fit is a weaker hint: a logo 5 % wide fitted at 0.25 at the coarse levels on its
        page, and at 0.26 on pages of text.
        """
        present = self.present()

        def proven(number: int) -> int:
            return len(self.checker.present(self.requirements, self.by_page.get(number, [])))

        def best(number: int) -> float:
            return max(
                (
                    ev.score
                    for ev in self.by_page.get(number, [])
                    if ev.party not in present and ev.version is LogoVersion.CURRENT
                ),
                default=-1.0,
            )

        return sorted(range(1, pages + 1), key=lambda number: (-proven(number), -best(number), number))


def default_logo_checker(settings: Settings) -> LogoChecker:
    """The OpenCV-based checker configured from the settings (page limit)."""
    return OpenCvLogoMatcher(max_pages=settings.max_pdf_pages)
