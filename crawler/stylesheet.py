"""References of CSS: the `@import`s and `url()`s a stylesheet, a `<style>` block or a
`style` attribute needs, which replay needs fetched with the page (fonts, images, more
stylesheets).

Parsed with tinycss2, which finds the charset (BOM, `@charset`, the Content-Type's) and
never raises on bad CSS: a broken rule is a parse error in its output, skipped here.
The references come back raw, in document order; `links` resolves them.
"""

from __future__ import annotations

import tinycss2
from tinycss2 import ast

# Functions whose string arguments are URLs (`url("x")` is a function, `url(x)` a token).
_URL_FUNCTIONS = frozenset({"url", "src", "image-set", "-webkit-image-set"})
_CSS_HINTS = ("url(", "@import", "image-set(")
_BLANK = frozenset({"whitespace", "comment"})


def might_refer(css: str) -> bool:
    """False when `css` cannot hold a reference: most style attributes, parsed for nothing."""
    lowered = css.lower()
    return any(hint in lowered for hint in _CSS_HINTS)


def from_bytes(css: bytes, *, charset: str | None = None) -> list[str]:
    """The references of a stylesheet as served (`charset` from its Content-Type)."""
    rules, _ = tinycss2.parse_stylesheet_bytes(
        css, protocol_encoding=charset, skip_comments=True, skip_whitespace=True
    )
    return _walk(rules)


def from_text(css: str) -> list[str]:
    """The references of a `<style>` block's text."""
    return _walk(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))


def from_declarations(css: str) -> list[str]:
    """The references of a `style` attribute's declarations."""
    return _walk(tinycss2.parse_component_value_list(css, skip_comments=True))


def _walk(nodes: list) -> list[str]:
    found: list[str] = []
    # An explicit stack, not recursion: hostile CSS may nest blocks thousands deep.
    stack = [iter(nodes)]
    while stack:
        node = next(stack[-1], None)
        if node is None:
            stack.pop()
            continue
        if isinstance(node, ast.URLToken):
            found.append(node.value)
        elif isinstance(node, ast.FunctionBlock):
            if node.lower_name in _URL_FUNCTIONS:
                found.extend(a.value for a in node.arguments if isinstance(a, ast.StringToken))
            stack.append(iter(node.arguments))
        elif isinstance(node, ast.AtRule):
            if node.lower_at_keyword == "import":
                first = next((a for a in node.prelude if a.type not in _BLANK), None)
                if isinstance(first, ast.StringToken):
                    found.append(first.value)
            stack.append(iter(node.content or ()))
            stack.append(iter(node.prelude))
        elif isinstance(node, ast.QualifiedRule):
            stack.append(iter(node.content))
            stack.append(iter(node.prelude))
        elif isinstance(node, ast.ParenthesesBlock | ast.SquareBracketsBlock):
            stack.append(iter(node.content))
        elif isinstance(node, ast.CurlyBracketsBlock):
            stack.append(iter(node.content))
    return found
