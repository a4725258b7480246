/// \file explorer.hpp
/// \brief The attention explorer behind `./workbook view DIR`: reads a folder written by
/// `--dump` (or a Part VI folder of layers and checkpoints), checks it, and writes one
/// self-contained HTML page, DIR/explorer.html.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "attention/types.hpp"

namespace attn::explorer {

/// One attention map of a dump: one layer, one sample of a batch, or one named weights file.
struct AttentionMap {
    std::string name;                       ///< "layer 0", "weights", "weights_mean · sample 1"
    std::string file;                       ///< the weights file it came from, relative to DIR
    std::vector<std::string> query_tokens;  ///< (L,) one label per query (row)
    std::vector<std::string> key_tokens;    ///< (S,) one label per key (column)
    Tensor3 weights;                 ///< (H, L, S) softmax weights; NaN in a fully masked row
    Tensor3 blocked;                 ///< (H, L, S) 1 where a mask blocks the key, else 0
    bool has_mask = false;           ///< whether a mask file was found for this map
    std::optional<Tensor3> Q_heads;  ///< (H, L, d_head) the projected queries, per head
    std::optional<Tensor3> K_heads;  ///< (H, S, d_head) the projected keys, per head
    std::string qk_source;           ///< where Q_heads and K_heads came from
    std::string qk_missing;          ///< when absent: what the dump would need
};

/// The dump at one moment: the folder itself, or one training checkpoint.
struct Frame {
    std::string name;                ///< "step 100", or "" for a dump without checkpoints
    std::vector<AttentionMap> maps;  ///< in order: layer 0, 1, … or the weights files by name
};

/// A whole dump: one frame, or one per checkpoint (in step order) then the final one.
struct Dump {
    std::string title;          ///< the folder's name
    std::vector<Frame> frames;  ///< at least one, each with at least one map
};

/// Reads and checks the dump in `dir` (see the explorer's docs page for the layouts and
/// rules). Throws InputError naming the file on anything wrong: `dir` missing, no attention
/// weights, a row of weights that does not sum to 1 (a fully masked row of NaN, or of 0
/// where the mask blocks every key, is allowed), a token file of the wrong length, a
/// truncated or malformed `.npy`.
Dump read_dump(const std::string& dir);

/// The dump as JSON (NaN as null), with `<` escaped so that it can sit inside a `<script>`.
std::string dump_json(const Dump& dump);

/// The whole page: the explorer's HTML, CSS and script (embedded at build time) with the
/// dump's JSON inline.
std::string explorer_page(const Dump& dump);

/// Writes `text` to `path` under a temporary name in the same folder, then renames it:
/// a failure leaves no half-written file. Throws InputError naming `path`.
void write_atomically(const std::string& path, const std::string& text);

}  // namespace attn::explorer
