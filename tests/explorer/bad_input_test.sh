#!/usr/bin/env bash
# ./workbook view on bad input: one line on stderr, exit status 2, and no page (an old
# explorer.html is left as it was, no temporary file is left behind). Good input, including
# a fully masked row of NaN, writes the page. The .npy files are written here by perl,
# independently of the workbook's own writer.
# usage: bad_input_test.sh WORKBOOK_VIEW MAKE_LAYER_DUMP
set -uo pipefail
view=$1 make_dump=$2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
status=0

# npy FILE SHAPE VALUES...: a little-endian float64 .npy, e.g. npy w.npy "2, 2" 0.5 0.5 1 0
npy() {
  perl -e '
    my ($file, $shape, @v) = @ARGV;
    my $h = "{\x27descr\x27: \x27<f8\x27, \x27fortran_order\x27: False, \x27shape\x27: ($shape), }";
    $h .= " " x (63 - (10 + length($h)) % 64) . "\n";
    open(my $f, ">:raw", $file) or die;
    print $f "\x93NUMPY\x01\x00", pack("v", length($h)), $h, pack("d<*", map { $_ eq "nan" ? 9**9**9/9**9**9 : $_ } @v);
  ' "$@"
}

# expect_refused NAME DIR WORDS: exit 2, one line naming what is wrong, the old page kept.
expect_refused() {
  local name=$1 dir=$2 words=$3 err rc
  [[ -d $dir ]] && echo "old page" >"$dir/explorer.html"
  err=$("$view" "$dir" 2>&1 >/dev/null); rc=$?
  if [[ $rc != 2 ]]; then echo "FAIL $name: exit status $rc, not 2 ($err)"; status=1; return; fi
  if [[ $(wc -l <<<"$err") != 1 || $err != *"$words"* ]]; then
    echo "FAIL $name: expected one line saying '$words', got: $err"; status=1; return; fi
  if [[ -d $dir && $(<"$dir/explorer.html") != "old page" ]]; then
    echo "FAIL $name: explorer.html was overwritten"; status=1; return; fi
  if compgen -G "$dir/explorer.html.tmp*" >/dev/null; then
    echo "FAIL $name: a temporary file was left behind"; status=1; return; fi
  echo "ok   $name: $err"
}

# expect_page NAME DIR: exit 0, the page's path printed, the page holding its data.
expect_page() {
  local name=$1 dir=$2 out rc
  out=$("$view" "$dir" 2>&1); rc=$?
  if [[ $rc != 0 || $out != */explorer.html || ! -s $dir/explorer.html ]]; then
    echo "FAIL $name: exit status $rc, output: $out"; status=1; return; fi
  if ! grep -q '<script type="application/json" id="explorer-data">{"title":' "$dir/explorer.html" ||
     grep -q -e '@DATA@' -e '/\*@JS@\*/' "$dir/explorer.html"; then
    echo "FAIL $name: the page lacks its data or still has a template marker"; status=1; return; fi
  echo "ok   $name: $out"
}

expect_refused "missing folder" "$work/nowhere" "no such folder"
mkdir "$work/empty"
expect_refused "no attention weights" "$work/empty" "no attention weights"

mkdir "$work/rows"; npy "$work/rows/weights.npy" "2, 2" 0.5 0.5 0.5 0.25
expect_refused "a row not summing to 1" "$work/rows" "row (head 0, query 1) sums to 0.75, not 1"

mkdir "$work/negative"; npy "$work/negative/weights.npy" "1, 2" 1.5 -0.5
expect_refused "a negative weight" "$work/negative" "not between 0 and 1"

mkdir "$work/partnan"; npy "$work/partnan/weights.npy" "2, 2" 0.5 0.5 nan 1
expect_refused "a row partly NaN" "$work/partnan" "only a fully masked row may be NaN"

mkdir "$work/nanrow"; npy "$work/nanrow/weights.npy" "2, 2" 0.5 0.5 nan nan
expect_page "a fully masked row of NaN" "$work/nanrow"

# Tokens that would break the page if written raw: the page keeps exactly its own two scripts.
mkdir "$work/markup"; npy "$work/markup/weights.npy" "3, 3" 1 0 0 0 1 0 0 0 1
printf '%s\n' '</script><script>alert(1)</script>' '"quoted" \ back' '<!-- & -->' >"$work/markup/tokens.txt"
expect_page "tokens holding </script>, quotes and backslashes" "$work/markup"
if [[ $(grep -o '</script>' "$work/markup/explorer.html" | wc -l) != 2 ]]; then
  echo "FAIL tokens with markup: a token's </script> reached the page"; status=1
fi

mkdir "$work/notblocked"; npy "$work/notblocked/weights.npy" "2, 2" 0.5 0.5 0.5 0.5
npy "$work/notblocked/attn_mask.npy" "2, 2" 0 -1e999 0 0
expect_refused "a weight where the mask blocks the key" "$work/notblocked" "the mask does not belong to these weights"

mkdir "$work/zerorow"; npy "$work/zerorow/weights.npy" "2, 2" 1 0 0 0
expect_refused "a row of zeros without a mask" "$work/zerorow" "sums to 0, not 1"
# (-1e999 is -inf to perl)
npy "$work/zerorow/attn_mask.npy" "2, 2" 0 -1e999 -1e999 -1e999
expect_page "a row of zeros where the mask blocks every key" "$work/zerorow"

"$make_dump" "$work/layers" >/dev/null || { echo "FAIL: make_layer_dump"; exit 1; }
expect_page "Part VI layers and checkpoints" "$work/layers"

cp -r "$work/layers" "$work/tokens"
sed -i '$d' "$work/tokens/layer0/tokens.txt"
expect_refused "a token file one line short" "$work/tokens" "5 lines, but weights.npy has L = 6 queries"

cp -r "$work/layers" "$work/truncated"
size=$(stat -c %s "$work/truncated/checkpoints/step_000050/layer1/weights.npy")
truncate -s $((size - 8)) "$work/truncated/checkpoints/step_000050/layer1/weights.npy"
expect_refused "a truncated .npy" "$work/truncated" "step_000050/layer1/weights.npy"

cp -r "$work/layers" "$work/heads"
echo 3 >"$work/heads/layer1/num_heads.txt"
expect_refused "num_heads.txt against weights.npy" "$work/heads" "num_heads.txt"

[[ $status == 0 ]] && echo "explorer bad input: ok"
exit "$status"
