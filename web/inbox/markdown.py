"""Task instructions are Markdown written by process modellers and filled with process data:
rendered with raw HTML switched off, so a `<script>` or an `onerror=` shows as text."""
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt('commonmark', {'html': False, 'linkify': False, 'typographer': False}).enable('table')


def render(text):
    if not text:
        return Markup('')
    return Markup(_md.render(text))
