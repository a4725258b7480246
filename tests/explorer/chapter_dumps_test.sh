#!/usr/bin/env bash
# ./workbook view on the dumps of chapters 11, 12, 14 and 16 (and chapter 11 on a batch):
# each gives a page whose maps are the ones the chapter wrote, in order, with its tokens.
# usage: chapter_dumps_test.sh BIN_DIR SOURCE_DIR   (BIN_DIR: the chapters and workbook_view)
set -uo pipefail
bin=$1 src=$2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
status=0

# expect_maps SLUG "ARGS" "NAME|NAME|…" [TOKEN…]: the page's maps, in order, and tokens in it.
expect_maps() {
  local slug=$1 args=$2 want=$3 dir=$work/$1$RANDOM got t; shift 3
  # shellcheck disable=SC2086  # (ARGS is split on purpose)
  "$bin/$slug" $args --dump "$dir" >/dev/null || { echo "FAIL $slug: the chapter failed"; status=1; return; }
  "$bin/workbook_view" "$dir" >/dev/null || { echo "FAIL $slug: workbook_view failed"; status=1; return; }
  got=$(grep -o '"name":"[^"]*","file"' "$dir/explorer.html" | sed 's/"name":"\([^"]*\)","file"/\1/' | paste -sd'|')
  if [[ $got != "$want" ]]; then echo "FAIL $slug $args: maps '$got', expected '$want'"; status=1; return; fi
  for t in "$@"; do
    grep -q -F "\"$t\"" "$dir/explorer.html" || { echo "FAIL $slug: token '$t' not in the page"; status=1; return; }
  done
  echo "ok   $slug $args: $got"
}

expect_maps 11_multihead_attention "" "weights|weights_mean"
expect_maps 12_self_vs_multihead "" "weights_head_*|weights_one_head" The cat chased mouse
expect_maps 14_cross_attention "" "weights|mha_weights" le chat noir dort black sleeping
expect_maps 16_batches "" "weights_mean · sample 0|weights_mean · sample 1|weights_mean · sample 2"
expect_maps 11_multihead_attention "--load $src/tests/fixtures/multihead_attention/padding" \
  "weights · sample 0|weights · sample 1|weights · sample 2|weights_mean · sample 0|weights_mean · sample 1|weights_mean · sample 2"

# A module exported from PyTorch (tests/fixtures/multihead_attention/, copied: the page is
# written into the folder): batched weights, masks of each form, Q and K from in_proj_weight.
for fixture in fully_masked mask3d padding; do
  cp -r "$src/tests/fixtures/multihead_attention/$fixture" "$work/$fixture"
  if ! "$bin/workbook_view" "$work/$fixture" >/dev/null ||
     ! grep -q -E '"qk_source":"query.npy(, key.npy)? and in_proj_weight.npy \+ in_proj_bias.npy"' "$work/$fixture/explorer.html"; then
    echo "FAIL PyTorch's $fixture: no page, or no queries and keys from in_proj_weight.npy"; status=1
  else
    echo "ok   PyTorch's $fixture"
  fi
done

[[ $status == 0 ]] && echo "explorer on the chapters' dumps: ok"
exit "$status"
