// Differ: compares one stream's expected (recorded) and actual (replayed) bytes after
// normalisation. Text gets a unified diff with line numbers and context, capped in length
// with a count of what was cut; binary data (NUL bytes or invalid UTF-8) gets the first
// differing byte offset and a hex dump around it. Linear-ish in the input size (Myers on
// lines, with the common prefix and suffix stripped first).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ctreplay {

struct DiffOptions {
  int context_lines = 3;
  std::size_t max_output_lines = 200;  // diff lines shown before "... N more lines cut"
  bool color = false;                  // ANSI colours (only when printing to a terminal)
};

struct Divergence {
  std::uint64_t byte_offset = 0;  // in the expected (normalised) bytes
  std::uint64_t line = 0;         // 1-based line in the expected (normalised) bytes
};

struct StreamComparison {
  std::string stream;  // "stdout", "stderr"
  bool same = true;
  bool binary = false;
  std::optional<Divergence> first;  // set when !same
  std::string diff;                 // unified diff (text) or hex dump (binary); "" when same
  std::uint64_t cut_lines = 0;      // diff lines not shown because of max_output_lines
};

StreamComparison compare_stream(const std::string& stream, std::string_view expected,
                                std::string_view actual, const DiffOptions& options = {});

}  // namespace ctreplay
