"""Lists of other stories on an article page ("Most read", "More from…", a stream of
cards under the article), removed before the article is looked for.

A teaser card is a block whose heading is a link to another page, often with the
other story's first sentences under it. Extractors let such a list through when the
sentences are long and not links themselves, and the stored body then ends with ten
other stories. A list (``ul``/``ol``) or a run of sibling ``<article>`` elements is
dropped when it holds at least :data:`MIN_CARDS` blocks and most of them are cards.
An article's own lists (steps, quotes, bullet points) have no linked headings, so they stay.
"""

from __future__ import annotations

from typing import Any

#: Fewer cards than this are not a list of other stories (a "Read also" of one or two
#: links is left to the text rules).
MIN_CARDS = 3
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def is_card(block: Any) -> bool:
    """True when ``block`` holds a heading that is a link, or sits in one."""
    for heading in block.iter(*_HEADINGS):
        if heading.find(".//a[@href]") is not None:
            return True
        for ancestor in heading.iterancestors():
            if ancestor is block:
                break
            if ancestor.tag == "a" and ancestor.get("href"):
                return True
    return False


def _mostly_cards(blocks: list[Any]) -> bool:
    return len(blocks) >= MIN_CARDS and 2 * sum(1 for b in blocks if is_card(b)) >= len(blocks)


def drop_teaser_lists(tree: Any) -> int:
    """Remove the lists of teaser cards from the lxml ``tree``; returns how many blocks went."""
    doomed: list[Any] = []
    for listing in tree.iter("ul", "ol"):
        if _mostly_cards([child for child in listing if child.tag == "li"]):
            doomed.append(listing)
    parents = {id(a.getparent()): a.getparent() for a in tree.iter("article") if a.getparent() is not None}
    for parent in parents.values():
        cards = [child for child in parent if child.tag == "article"]
        if _mostly_cards(cards):
            doomed.extend(cards)
    for block in doomed:
        if block.getparent() is not None:
            block.drop_tree()
    return len(doomed)
