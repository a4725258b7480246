// Chapter 17 (its title: chapters/manifest.tsv).
// Keep the keys and values of earlier tokens instead of recomputing them; same outputs,
// far less work (multiply-adds counted, not timed).
#include <cstdio>

#include <xtensor/xview.hpp>

#include <workbook/chapter.hpp>
#include <workbook/inputs.hpp>
#include <workbook/validation.hpp>
#include <attention/mha.hpp>
#include <attention/kv_cache.hpp>
#include <attention/masks.hpp>
#include <attention/positions.hpp>
#include <attention/random.hpp>

using attn::Matrix;
using attn::Vector;

// The module and the tokens to generate: the chapter's own (T = 6, E = 8, H = 2, drawn
// from Random(17)), or the user's with --load (query.npy (T, E) and the module's files).
struct Generation {
    attn::MhaParams params;
    Matrix X;  // (T, E) the tokens, in the order they are generated
};

Generation load_generation(attn::Chapter& ch) {
    if (ch.loading()) {
        if (ch.has_file("key.npy") || ch.has_file("value.npy")) {
            throw attn::InputError(ch.load_path("key.npy") + ": a KV cache is for self-attention; "
                                   "for key.npy and value.npy use chapter 11 or 14");
        }
        Generation g{attn::load_mha_params(ch.load_path(""), attn::heads_option(ch, 0)),
                     ch.load_matrix("query.npy", "(T, E)")};
        if (g.X.shape(1) != g.params.E) {
            throw attn::InputError(ch.load_path("query.npy") + ": shape " + attn::shape_str(g.X.shape()) +
                                   " does not fit the module's width E = " + std::to_string(g.params.E));
        }
        attn::check_mha_fits(g.params, g.X, g.X, g.X);
        if (ch.has_file("attn_mask.npy")) {
            ch.say("(attn_mask.npy is not read: generating one token at a time is always causal.)");
        }
        return g;
    }
    attn::Random rng(17);
    attn::MhaParams p = attn::random_mha_params(8, 2, rng);
    return {p, rng.normal_matrix(6, 8)};
}

int main(int argc, char** argv) {
    attn::ChapterInfo info{"17_kv_cache",
                           "query.npy (T, E): the tokens in the order they are generated, "
                           "in_proj_weight.npy (3E, E), in_proj_bias.npy (3E,), "
                           "out_proj.weight.npy (E, E), out_proj.bias.npy (E,)",
                           {attn::kHeadsOption}};
    return attn::run_chapter(info, argc, argv, [](attn::Chapter& ch) {
        ch.title();
        const Generation g = load_generation(ch);
        const attn::MhaParams& p = g.params;
        const Matrix& X = g.X;
        const std::size_t T = X.shape(0), E = p.E;

        //! [step1]
        ch.step("1) generation is causal attention, one row at a time");
        ch.say("ChatGPT writes token after token. At step t it has tokens 0..t and needs "
               "only the output of the newest one. The full causal computation on all " +
               std::to_string(T) + " tokens gives every row at once:");
        const Matrix causal = attn::causal_mask(T);
        const attn::MhaForward full = attn::mha_forward(p, X, X, X, &causal);
        ch.show("full_output", full.output, {attn::token_labels(T), {}}, "(T, E) causal multi-head attention");
        //! [step1]

        //! [step2]
        ch.step("2) with a cache: project each token once");
        ch.say("A token's key and value never change once computed (the mask stops it from "
               "seeing later tokens). So keep them: at step t project only the new token, "
               "append its k and v to the cache, and attend from its q to the cache.");
        attn::KVCache cache(p);
        Matrix stepped = xt::zeros<double>({T, E});
        std::vector<attn::Work> with;
        for (std::size_t t = 0; t < T; ++t) {
            xt::row(stepped, t) = cache.step(xt::row(X, t));
            with.push_back(cache.last_work());
        }
        ch.show("cached_keys", cache.keys(), {attn::token_labels(T), {}}, "(T, E) the cache after the last step");
        ch.show("stepped_output", stepped, {attn::token_labels(T), {}}, "(T, E) one row per step");
        ch.say("Against the full causal computation: " + attn::describe_difference(stepped, full.output) + ".");
        //! [step2]

        //! [step3]
        ch.step("3) the work per step, counted");
        ch.say("Multiply-adds (E = " + std::to_string(E) + "). Without the cache a plain loop "
               "runs the model on the whole prefix again at every step: projections grow "
               "with t, attention with t². With the cache, projections are the same at "
               "every step and attention grows with t:");
        ch.out() << "  step t   without cache   with cache\n";
        double total_without = 0, total_with = 0;
        for (std::size_t t = 1; t <= T; ++t) {
            const double w = attn::work_without_cache(t, E).total(), c = with[t - 1].total();
            total_without += w;
            total_with += c;
            char line[80];
            std::snprintf(line, sizeof line, "  %6zu %15.0f %12.0f\n", t, w, c);
            ch.out() << line;
        }
        char line[120];
        std::snprintf(line, sizeof line, "  total  %15.0f %12.0f   (%.1fx less work)\n\n", total_without,
                      total_with, total_without / total_with);
        ch.out() << line;
        ch.say("For a long answer the gap grows quadratically. The price is memory: the "
               "cache holds 2·t·E numbers per layer - which is why long contexts are "
               "limited by memory.");
        //! [step3]
    });
}
