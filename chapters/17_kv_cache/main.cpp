// Chapter 17 (its title: chapters/manifest.tsv).
// Keep the keys and values of earlier tokens instead of recomputing them; same outputs,
// far less work (multiply-adds counted, not timed).
#include <cstdio>

#include <vector>

#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

#include <attention/kv_cache.hpp>
#include <attention/masks.hpp>
#include <attention/mha.hpp>
#include <attention/positions.hpp>
#include <attention/random.hpp>
#include <workbook/chapter.hpp>
#include <workbook/inputs.hpp>
#include <workbook/validation.hpp>

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
            throw attn::InputError(ch.load_path("key.npy") +
                                   ": a KV cache is for self-attention; "
                                   "for key.npy and value.npy use chapter 11 or 14");
        }
        Generation g{attn::load_mha_params(ch.load_path(""), attn::heads_option(ch, 0)),
                     ch.load_matrix("query.npy", "(T, E)")};
        if (g.X.shape(1) != g.params.E) {
            throw attn::InputError(
                    ch.load_path("query.npy") + ": shape " + attn::shape_str(g.X.shape()) +
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
        ch.show("full_output", full.output, {attn::token_labels(T), {}},
                "(T, E) causal multi-head attention");
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
        ch.show("cached_keys", cache.keys(), {attn::token_labels(T), {}},
                "(T, E) the cache after the last step");
        ch.show("stepped_output", stepped, {attn::token_labels(T), {}}, "(T, E) one row per step");
        ch.say("Against the full causal computation: " +
               attn::describe_difference(stepped, full.output) + ".");
        //! [step2]

        //! [step3]
        ch.step("3) the work per step, counted");
        ch.say("Multiply-adds (E = " + std::to_string(E) +
               "). Without the cache a plain loop "
               "runs the model on the whole prefix again at every step: projections grow "
               "with t, attention with t². With the cache, projections are the same at "
               "every step and attention grows with t:");
        ch.out() << "  step t   without cache   with cache   ratio\n";
        double total_without = 0, total_with = 0;
        std::vector<double> running_without, running_with;  // the totals after steps 1..t
        xt::xtensor<double, 2> table = xt::zeros<double>({T, std::size_t{3}});
        for (std::size_t t = 1; t <= T; ++t) {
            const double w = attn::work_without_cache(t, E).total(), c = with[t - 1].total();
            total_without += w;
            total_with += c;
            running_without.push_back(total_without);
            running_with.push_back(total_with);
            table(t - 1, 0) = static_cast<double>(t);
            table(t - 1, 1) = w;
            table(t - 1, 2) = c;
            char line[80];
            std::snprintf(line, sizeof line, "  %6zu %15.0f %12.0f %7.2fx\n", t, w, c, w / c);
            ch.out() << line;
        }
        ch.dump("work", table);  // columns: t, without cache, with cache
        char line[120];
        std::snprintf(line, sizeof line, "  total  %15.0f %12.0f %7.2fx less work\n\n",
                      total_without, total_with, total_without / total_with);
        ch.out() << line;
        ch.say("Per step, the work without the cache is a little less than t times the work "
               "with it - the projections are exactly t times, the recomputed causal attention "
               "only (t+1)/2 times - so the ratio grows about linearly with t. Summed over an "
               "answer, the work without "
               "the cache grows about quadratically with its length - every step redoes a prefix "
               "one token longer - and the work with it about linearly.");
        if (T >= 2 && T % 2 == 0) {
            const std::size_t half = T / 2;
            char grow[200];
            std::snprintf(
                    grow, sizeof grow,
                    "From %zu to %zu tokens (twice as long) the total without the cache grows "
                    "%.2fx (purely quadratic would be 4x), with the cache %.2fx (purely "
                    "linear would be 2x).",
                    half, T, running_without[T - 1] / running_without[half - 1],
                    running_with[T - 1] / running_with[half - 1]);
            ch.say(grow);
        }
        ch.say("The price is memory: the cache holds 2·t·E numbers per layer - which is why "
               "long contexts are limited by memory.");
        //! [step3]
    });
}
