#!/usr/bin/python3
"""tools/hints_to_html.py folds each hint on its own: for every chapters/*/hints.md, one closed
<details> per "## " section, numbered in order, with the section's text inside it and nothing
of the hints outside; and every chapter page of ours includes its folded hints, not the raw file.
usage: hints_html_test.py SOURCE_DIR"""
import pathlib, re, subprocess, sys, tempfile

src = pathlib.Path(sys.argv[1])
errors = []
for md in sorted(src.glob("chapters/*/hints.md")):
    text = md.read_text()
    titles = re.findall(r"^## (.*)$", text, re.M)
    with tempfile.TemporaryDirectory() as d:
        out = pathlib.Path(d) / "h.html"
        subprocess.run([sys.executable, str(src / "tools" / "hints_to_html.py"), str(md), str(out)], check=True)
        html = out.read_text()
    summaries = re.findall(r"<summary>Hint (\d+) — (.*?)</summary>", html)
    if [int(n) for n, _ in summaries] != list(range(1, len(titles) + 1)):
        errors.append(f"{md}: {len(summaries)} folded hints for {len(titles)} sections")
    if "<details open" in html or html.count("<details") != html.count("</details>"):
        errors.append(f"{md}: a hint is not folded")
    # each hint's first words are inside its own <details>
    parts = html.split("<details")[1:]
    for k, (title, part) in enumerate(zip(titles, parts), 1):
        body = text.split("## " + title, 1)[1].split("\n## ", 1)[0].split()
        first = re.sub(r"[`<>&]", "", body[0]) if body else ""
        if first and first not in re.sub(r"<[^>]+>", "", part).replace("&lt;", "").replace("&gt;", ""):
            errors.append(f"{md}: hint {k}'s text is not inside its fold")
theirs = {"07", "08", "11", "12", "13", "17"}
for page in sorted(src.glob("docs/ch[0-9][0-9]_*.dox")):
    n = page.name[2:4]
    if n in theirs or not list(src.glob(f"chapters/{n}_*/hints.md")):
        continue
    t = page.read_text()
    if f"\\htmlinclude ch{n}_hints.html" not in t or "hints.md" in t.split("\\htmlinclude")[-1]:
        errors.append(f"{page}: does not include ch{n}_hints.html (or still shows hints.md)")
    if "✅" in t:
        errors.append(f"{page}: ✅ renders as a box without an emoji font")
for e in errors:
    print("hints_html_test: FAIL:", e)
print("hints_html_test:", "ok" if not errors else f"{len(errors)} problem(s)")
sys.exit(1 if errors else 0)
