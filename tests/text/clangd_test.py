#!/usr/bin/python3
"""The editor set-up: .clangd points clangd at build/dev, whose compile_commands.json has every
learner's chapters/NN_slug/exercise.cpp with tests/exercises (exercises.hpp) on its include
path; .clang-format is readable by clang-format when it is installed.
usage: clangd_test.py SOURCE_DIR BINARY_DIR"""
import json, pathlib, shutil, subprocess, sys

src, binary = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
errors = []
clangd = (src / ".clangd").read_text()
if "CompilationDatabase: build/dev" not in clangd:
    errors.append(".clangd does not name build/dev")
if binary.resolve() != (src / "build" / "dev").resolve():
    print(f"clangd_test: the build folder is {binary}, not build/dev: checking its database")
db = json.loads((binary / "compile_commands.json").read_text())
rows = [l.split("\t") for l in (src / "chapters" / "manifest.tsv").read_text().splitlines()
        if l and not l.startswith("#")]
for number, slug, _, exercise, *_ in rows:
    if exercise == "-":
        continue
    file = str((src / "chapters" / slug / "exercise.cpp").resolve())
    entries = [e for e in db if e["file"] == file]
    if not entries:
        errors.append(f"{file} is not in compile_commands.json")
    elif not any(f"-I{(src / 'tests' / 'exercises').resolve()}" in e.get("command", " ".join(e.get("arguments", [])))
                 for e in entries):
        errors.append(f"{file}: tests/exercises is not on its include path")
if shutil.which("clang-format"):
    r = subprocess.run(["clang-format", "--dump-config", f"--style=file:{src / '.clang-format'}"],
                       capture_output=True, text=True)
    if r.returncode != 0 or not any(l.split() == ["ColumnLimit:", "100"] for l in r.stdout.splitlines()):
        errors.append(".clang-format is not read as 100 columns: " + r.stderr.strip())
for e in errors:
    print("clangd_test: FAIL:", e)
print("clangd_test:", "ok" if not errors else f"{len(errors)} problem(s)")
sys.exit(1 if errors else 0)
