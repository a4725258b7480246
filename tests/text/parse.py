#!/usr/bin/python3
"""Parses a file with Python's own parsers, for the C++ tests (tests/support.hpp).

  parse.py xml FILE    exit 0 when FILE is well-formed XML; else the parser's message, exit 1
  parse.py json FILE   every line a flat JSON object; prints each as key=value pairs separated
                       by tabs, each value as JSON text ("loops" keeps its quotes); exit 1 on
                       a line that is not an object or holds a nested value
"""
import json
import sys
import xml.etree.ElementTree as ET


def check_xml(path):
    try:
        ET.parse(path)
    except ET.ParseError as e:
        sys.exit(f"not well-formed XML: {e}")


def print_json_lines(path):
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"line {n} is not JSON ({e}): {line.rstrip()}")
            if not isinstance(obj, dict) or any(isinstance(v, (dict, list)) for v in obj.values()):
                sys.exit(f"line {n} is not a flat JSON object: {line.rstrip()}")
            print("\t".join(f"{k}={json.dumps(v)}" for k, v in obj.items()))


if __name__ == "__main__":
    kind, path = sys.argv[1:3]
    {"xml": check_xml, "json": print_json_lines}[kind](path)
