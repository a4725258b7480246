// Exercise 17 — kv_cache_step(p, K_cache, V_cache, x): generate one token with a KV cache.
//
// TODO: write kv_cache_step(p, K_cache, V_cache, x) below.
//   in:  p, the multi-head module (as in exercise 11: p.W_q(), p.b_q(), …, p.H)
//        K_cache, V_cache (t, E): the PROJECTED keys and values of the t tokens so far
//        (t = 0 at the first step: 0 rows)
//        x (E,): the new token
//   out: the new token's output (E,) — its query attending to every cached token and to
//        itself, in every head, then merged and projected with W_o and b_o — and, through
//        the references, K_cache and V_cache grown to (t+1, E): the new key and value
//        appended as the last row.
// Chapter 17, step 2: 1) project only the new token, k = x·W_kᵀ + b_k (and q, v); 2) append
// k and v to the caches; 3) attend from q to the whole cache; 4) merge and project out.
// The rows already in the cache are never projected again. Treat x as a (1, E) matrix:
// Matrix row = xt::view(x, xt::newaxis(), xt::all()); the result's row 0 is the answer.
// Call your own functions from exercises 07-10 (namespace ex) or the attn:: ones
// (<attention/mha.hpp>); to append, make a (t+1, E) matrix and copy rows with xt::view.
//
// Check it: ./workbook check 17    on every save: ./workbook watch 17    stuck: ./workbook hint 17
#include <xtensor/xview.hpp>

#include <attention/mha.hpp>

#include "exercises.hpp"

namespace ex {

// K_cache and V_cache are (t, E) and become (t+1, E); x is (E,); returns (E,).
Vector kv_cache_step(const attn::MhaParams& p, Matrix& K_cache, Matrix& V_cache, const Vector& x) {
    todo(17, p, K_cache, V_cache, x);  // delete this line, then write the function
}

}  // namespace ex
