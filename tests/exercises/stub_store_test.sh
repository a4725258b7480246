#!/usr/bin/env bash
# The exercises survive a learner's git: in a scratch clone of the committed HEAD (nothing
# of the current build reused), a learner solves exercise 02, commits their exercise.cpp,
# and then — with git gone altogether — the stub test still passes, the other learner files
# are made from the stub store, and `./workbook reset 02 --yes` brings back the stub (with a
# backup). Last, a workbook_exercise(NN) without a stub in the store is a configure error.
# Usage: tests/exercises/stub_store_test.sh SOURCE_DIR      (CTest test exercises.stub_store)
set -euo pipefail
src=${1:?usage: stub_store_test.sh SOURCE_DIR}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/workbook-stub-store.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "stub_store_test: FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

step "clone the committed HEAD of $src"
git clone -q "$src" "$tmp/repo"
cd "$tmp/repo"
learner=chapters/02_dot_product_scores/exercise.cpp
stub=tests/exercises/stubs/ex02.cpp
[[ -f $stub ]] || fail "$stub is not in the commit"
[[ ! -e $learner ]] || fail "$learner is tracked by git: it must be made from the store"

step "the learner solves exercise 02 and commits it (git add -f: even past .gitignore)"
cp tests/exercises/solutions/ex02.cpp "$learner"
git -c user.name=learner -c user.email=learner@example.com add -f "$learner"
git -c user.name=learner -c user.email=learner@example.com commit -q -m "my exercise 02"

step "git is gone from here on: configure and build what the stub test needs"
mv .git .git-away
export GIT_DIR=/nonexistent GIT_CEILING_DIRECTORIES=$tmp   # no git repository anywhere
# -O0 -g0: this test checks files, not speed; it builds only four targets.
cmake --preset dev -DWORKBOOK_DOCS=OFF -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g0" >"$tmp/configure.log" 2>&1 ||
  { cat "$tmp/configure.log"; fail "configure failed"; }
other=chapters/03_scaling/exercise.cpp
cmp -s "$other" tests/exercises/stubs/ex03.cpp || fail "configure did not make $other from the store"
cmp -s "$learner" tests/exercises/solutions/ex02.cpp || fail "configure changed the learner's $learner"
cmake --build build/dev -j "${WORKBOOK_JOBS:-$(nproc)}" --target exercise_02_stub exercise_02 >"$tmp/build.log" 2>&1 ||
  { tail -n 40 "$tmp/build.log"; fail "build failed"; }

step "the stub test still passes, and the learner's own exercise passes its checks"
ctest --test-dir build/dev -R '^ex02\.stub$' --output-on-failure | tail -n 3
ctest --test-dir build/dev -R '^ex02\.stub$' >/dev/null || fail "ex02.stub fails after the learner's commit"
build/dev/exercises/exercise_02 --summary | grep -q '^done' || fail "the learner's solved exercise 02 does not pass"

step "./workbook run from another folder: --load and --dump paths start in that folder"
mkdir -p "$tmp/elsewhere/mine"
(cd "$tmp/elsewhere" && WORKBOOK_JOBS=1 "$tmp/repo/workbook" run 6 --dump first >/dev/null) ||
  fail "./workbook run 6 --dump first failed when run from another folder"
[[ -f $tmp/elsewhere/first/Q.npy ]] || fail "run 6 --dump first did not write into the folder it was run from"
cp "$tmp/elsewhere/first/Q.npy" "$tmp/elsewhere/mine/query.npy"
(cd "$tmp/elsewhere" && WORKBOOK_JOBS=1 "$tmp/repo/workbook" run 6 --load mine --dump second >/dev/null) ||
  fail "./workbook run 6 --load mine did not read mine/ in the folder it was run from"
[[ -f $tmp/elsewhere/second/output.npy ]] || fail "run 6 --dump second did not write where it was run"
[[ ! -e first && ! -e second ]] || fail "run --dump wrote into the repository instead"

step "./workbook reset 02 --yes brings back the stub, and keeps the learner's version"
WORKBOOK_JOBS=1 ./workbook reset 02 --yes
cmp -s "$learner" "$stub" || fail "reset did not bring back the stub"
backup=$(ls build/exercises/backups/ex02-*.cpp)
cmp -s "$backup" tests/exercises/solutions/ex02.cpp || fail "reset kept no backup of the learner's version"
WORKBOOK_JOBS=1 ./workbook reset 02 --yes 2>&1 | grep -q 'already the stub as shipped' ||
  fail "a second reset did not say the file is already the stub"

step "a missing file is made again from the store by ./workbook before a check"
rm "$learner"
status=0
WORKBOOK_JOBS=1 ./workbook check 02 >"$tmp/check.log" 2>&1 || status=$?
cat "$tmp/check.log"
[[ $status == 3 ]] || fail "check 02 of a fresh stub exited $status, not 3 (not done yet)"
cmp -s "$learner" "$stub" || fail "check did not make $learner from the store"

step "an exercise without a stub in the store is a clear configure error"
echo 'workbook_exercise(18)' >>tests/exercises/CMakeLists.txt
if cmake -S . -B "$tmp/bad" -G Ninja -DWORKBOOK_DOCS=OFF >"$tmp/bad.log" 2>&1; then
  fail "configure accepted workbook_exercise(18) with no tests/exercises/stubs/ex18.cpp"
fi
tr -s ' \n' ' ' <"$tmp/bad.log" | grep -q 'exercise 18: its stub is missing from the stub store: tests/exercises/stubs/ex18.cpp' ||
  { cat "$tmp/bad.log"; fail "the configure error does not name the missing stub"; }
echo "stub_store_test: OK"
