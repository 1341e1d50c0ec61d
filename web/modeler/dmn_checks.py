"""Decision tables checked as SpiffWorkflow evaluates them: every input expression and cell must be
Python ("?" stands for the input; a cell that is no expression on its own, such as "> 1000", is
appended to the input), so FEEL ranges like "[1..5]" and typos are refused before publishing."""
import re

from lxml import etree

from engine.bundle import problem

PYTHON = {None, '', 'python', 'text/python', 'text/x-python', 'http://www.python.org/'}


def _local(tag):
    return etree.QName(tag).localname if isinstance(tag, str) else None


def _ns(tag):
    return etree.QName(tag).namespace if isinstance(tag, str) else None


def _label(node):
    name = (node.get('name') or '').strip()
    return f'"{name}" ({node.get("id")})' if name else node.get('id')


DMN_NS = ('https://www.omg.org/spec/DMN/20191111/MODEL/', 'http://www.omg.org/spec/DMN/20180521/MODEL/',
          'http://www.omg.org/spec/DMN/20151101/dmn.xsd')
DMN_INPUT = re.compile(r'(\?)(?=(?:[^\'"]|[\'"][^\'"]*[\'"])*$)')


def _cell_error(text, is_input):
    """Why SpiffWorkflow could not evaluate a decision-table cell, or None (as DMNEngine.evaluate
    builds it: "?" is the input; a cell that is no expression on its own is appended to the input,
    e.g. "> 1000")."""
    from engine.errors import ScriptError
    from engine.sandbox import SCRIPT_ENGINE
    if not is_input:
        candidates = [text]
    else:
        with_input = DMN_INPUT.sub('dmninputexpr', text)
        candidates = [with_input] if 'dmninputexpr' in with_input else [text, f'v {text}']
    error = None
    for candidate in candidates:
        try:
            SCRIPT_ENGINE.validate(candidate)
            return None
        except (SyntaxError, ScriptError) as e:
            error = error or e
    return getattr(error, 'msg', None) or str(error)


def dmn_problems(name, tree):
    """Decision-table cells and input expressions that are not Python the engine can run (FEEL
    ranges like "[1..5]", typos), found before an order meets them."""
    problems = []
    for decision in tree.iter():
        if _local(decision.tag) != 'decision' or _ns(decision.tag) not in DMN_NS:
            continue
        label = _label(decision)
        for node in decision.iter():
            kind = _local(node.tag)
            if kind not in ('inputExpression', 'inputEntry', 'outputEntry'):
                continue
            language = (node.get('expressionLanguage') or '').lower()
            text_node = next((c for c in node if _local(c.tag) == 'text'), None)
            text = (text_node.text or '').strip() if text_node is not None else ''
            if language and language not in PYTHON:
                problems.append(problem(name, f'A cell of decision {label} is written in {node.get("expressionLanguage")!r}; '
                                              'EOMS evaluates Python.', node.get('id')))
                continue
            if not text or (kind == 'inputEntry' and text == '-'):
                continue
            error = _cell_error(text, kind == 'inputEntry')
            if error:
                rule = node.getparent()
                where = (f'rule {list(rule.getparent()).index(rule) - _header_count(rule.getparent()) + 1}'
                         if _local(rule.tag) == 'rule' else 'an input')
                problems.append(problem(name, f'The cell {text!r} ({where} of decision {label}) is not a Python '
                                              f'expression EOMS can evaluate: {_sentence(error)}', node.get('id')))
    return problems


def _header_count(table):
    return sum(1 for c in table if _local(c.tag) != 'rule')


def _sentence(text):
    text = text.strip()
    return text if text.endswith(('.', '?', '!')) else text + '.'
