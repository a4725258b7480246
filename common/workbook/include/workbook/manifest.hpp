/// \file manifest.hpp
/// \brief The chapters' table (chapters/manifest.tsv), compiled in: each program finds its
/// title here, by its slug.
#pragma once

#include <string>
#include <vector>

namespace attn {

/// One row of chapters/manifest.tsv.
struct ManifestRow {
    std::string slug;      ///< e.g. "06_self_attention"
    std::string title;     ///< e.g. "Self-attention, the whole of it"
    std::string exercise;  ///< what the learner writes, e.g. "attention(Q, K, V)"; "-" = none
};

/// Every chapter, in order (generated from chapters/manifest.tsv by cmake/manifest.cmake).
const std::vector<ManifestRow>& manifest();

/// The row of `slug`; throws std::logic_error when the manifest has no such chapter.
const ManifestRow& manifest_row(const std::string& slug);

}  // namespace attn
