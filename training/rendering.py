"""Markdown to safe HTML, for lessons, narratives and explanations."""

from __future__ import annotations

from functools import lru_cache

import markdown as md
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote", "code", "pre",
    "h3", "h4", "h5", "table", "thead", "tbody", "tr", "th", "td", "hr", "a", "sup", "sub",
}  # fmt: skip


@lru_cache(maxsize=4096)
def render_markdown(text: str) -> Markup:
    """Markdown rendered and then sanitised with nh3, so authored text can never carry script."""
    html = md.markdown(text or "", extensions=["sane_lists"], output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    # Safe to mark: nh3 has just removed every tag and attribute not allowed above.
    return Markup(clean)  # noqa: S704  # nosec B704
