"""Every relative link of the README and of docs/*.md leads somewhere: to a file that exists
and, for ``page.md#anchor``, to a heading of that page, named as GitHub names it."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.processes import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^ {0,3}(```|~~~)")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


def prose_lines(text: str) -> list[str]:
    """The page's lines outside fenced code blocks, with inline code spans blanked."""
    lines, fenced = [], None
    for line in text.splitlines():
        fence = FENCE.match(line)
        if fence and (fenced is None or fence.group(1) == fenced):
            fenced = None if fenced else fence.group(1)
            continue
        if fenced is None:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text lower-cased, punctuation other than hyphens
    and underscores dropped, spaces turned into hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link counts as its text
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading's anchor, a repeated one numbered as GitHub does (``-1``, ``-2``)."""
    seen: dict[str, int] = {}
    found = set()
    for line in prose_lines(page.read_text()):
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def relative_links(page: Path) -> list[str]:
    links = []
    for line in prose_lines(page.read_text()):
        links += LINK.findall(CODE_SPAN.sub("", line))
    return [
        link
        for link in links
        if not re.match(r"[a-z][a-z0-9+.-]*:", link, re.I) and not link.startswith("#")
    ]


def test_the_link_reader_finds_links_and_anchors_as_github_does():
    assert slug("The Postback URL: `/pb/<token>`") == "the-postback-url-pbtoken"
    assert slug("How stats stay fast and exact: hourly rollups") == (
        "how-stats-stay-fast-and-exact-hourly-rollups"
    )
    assert slug("A 60-second walkthrough") == "a-60-second-walkthrough"
    assert slug("PBHUB_BASE_URL, and [more](x.md)") == "pbhub_base_url-and-more"
    assert ROOT / "README.md" in PAGES and len(PAGES) > 1


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(page: Path):
    broken = []
    for link in relative_links(page):
        path, _, anchor = link.partition("#")
        target = (page.parent / unquote(path)).resolve()
        if not target.exists():
            broken.append(f"{link}: no file {target.relative_to(ROOT)}")
        elif anchor and target.suffix == ".md" and anchor not in anchors(target):
            broken.append(f"{link}: no heading with the anchor #{anchor}")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)
