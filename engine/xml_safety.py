"""Untrusted XML is checked here before any parser sees it."""
import re

from lxml import etree

# Any DOCTYPE or ENTITY declaration is refused: that covers external entities (XXE) and
# entity-expansion bombs without trying to judge which declarations are harmless.
_DECLARATION = re.compile(rb'<!\s*(DOCTYPE|ENTITY)', re.IGNORECASE)


def decoded_for_scan(content):
    """The bytes as UTF-8 for the declaration scan, whatever Unicode encoding the file uses."""
    for bom, codec in ((b'\xff\xfe', 'utf-16-le'), (b'\xfe\xff', 'utf-16-be')):
        if content.startswith(bom):
            return content.decode(codec, 'replace').encode('utf-8')
    if b'\x00' in content[:200]:
        return content.replace(b'\x00', b'')
    return content


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
