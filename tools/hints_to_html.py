#!/usr/bin/python3
"""Turns a chapter's hints.md into folded HTML for its docs page (docs/CMakeLists.txt runs it
at configure time): one <details> per "## " section, closed, so the page does not give the
hints away. The text before the first section (the title and how to show them in the
terminal) is left out. Handles what the hints use: paragraphs, `code`, fenced code blocks
and "- " lists.
usage: hints_to_html.py HINTS_MD OUT_HTML"""
import html
import re
import sys


def inline(text):
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(f"<code>{html.escape(p[1:-1])}</code>" if p.startswith("`") and p.endswith("`")
                   and len(p) > 1 else html.escape(p) for p in parts)


def body(lines):
    out, para, items, code = [], [], [], None
    def flush():
        if para:
            out.append("<p>" + inline(" ".join(para)) + "</p>")
            para.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{inline(i)}</li>" for i in items) + "</ul>")
            items.clear()
    for line in lines:
        if code is not None:
            if line.startswith("```"):
                out.append("<pre>" + html.escape("\n".join(code)) + "</pre>")
                code = None
            else:
                code.append(line)
        elif line.startswith("```"):
            flush()
            code = []
        elif not line.strip():
            flush()
        elif line.startswith("- "):
            if para:
                flush()
            items.append(line[2:].strip())
        elif items and line.startswith("  "):
            items[-1] += " " + line.strip()
        else:
            para.append(line.strip())
    flush()
    return "\n".join(out)


def main():
    source, target = sys.argv[1], sys.argv[2]
    sections, current = [], None
    for line in open(source, encoding="utf-8").read().splitlines():
        if line.startswith("## "):
            current = [line[3:].strip(), []]
            sections.append(current)
        elif current is not None:
            current[1].append(line)
    if not sections:
        sys.exit(f"{source}: no '## ' hint sections")
    html_out = [f'<div class="wb-hints">']
    for k, (title, lines) in enumerate(sections, 1):
        html_out.append(f'<details class="wb-hint"><summary>Hint {k} — {inline(title)}</summary>\n'
                        f"{body(lines)}\n</details>")
    html_out.append("</div>")
    with open(target, "w", encoding="utf-8") as f:
        f.write("\n".join(html_out) + "\n")


if __name__ == "__main__":
    main()
