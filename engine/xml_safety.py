"""Untrusted XML is checked here before any parser sees it."""
import re

from lxml import etree

# Any DOCTYPE or ENTITY declaration is refused: that covers external entities (XXE) and
# entity-expansion bombs without trying to judge which declarations are harmless.
_DECLARATION = re.compile(rb'<!\s*(DOCTYPE|ENTITY)', re.IGNORECASE)


def decoded_for_scan(content):
    """Bytes in which an ASCII declaration shows, whatever encoding the file uses: in UTF-16 and
    UTF-32 an ASCII character is its byte plus NULs, so dropping NULs reveals it."""
    return content.replace(b'\x00', b'') if b'\x00' in content else content


def unsafe_declaration(content):
    """The declaration keyword found (e.g. 'DOCTYPE'), or None when the XML declares none."""
    match = _DECLARATION.search(decoded_for_scan(content))
    return match.group(1).decode().upper() if match else None


def safe_parser():
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=False)


def parse(content):
    """lxml tree of content known to carry no declarations; raises etree.XMLSyntaxError."""
    return etree.fromstring(content, parser=safe_parser())
