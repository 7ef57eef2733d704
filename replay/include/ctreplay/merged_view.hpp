// The merged comparison (`--merged`): stdout and stderr interleaved line by line as
// "[stdout] ..." / "[stderr] ...". Between two exact-order recordings (ctest-record
// --order=exact) it is the order the chunks were written, built from the exact chunks only;
// otherwise it is each trace's order as recorded, with a note saying that a read-order trace's
// interleaving is the order the recorder read the pipes in.
#pragma once

#include <string>
#include <vector>

#include "ctreplay/loaded_trace.hpp"
#include "ctreplay/normalizer.hpp"

namespace ctreplay {

// The interleaving of `trace`'s output pieces in trace order, normalised for `side`; with
// `exact_only`, only the pieces of ChunkOrder::Exact.
std::string merged_view(const LoadedTrace& trace, const Normalizer& normalizer, Side side,
                        bool exact_only);

struct MergedViews {
  bool exact = false;  // both traces are exact-order recordings: only exact chunks are used
  std::string expected;
  std::string actual;
  std::vector<std::string> notes;  // what the reader of the verdict should know about them
};

MergedViews merged_views(const LoadedTrace& expected, const LoadedTrace& actual,
                         const Normalizer& normalizer);

}  // namespace ctreplay
