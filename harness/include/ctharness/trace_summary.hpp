// TraceSummary: what `ctest-trace info` reports, gathered by reading a whole trace once
// (start/exit/end records, per-stream byte and chunk counts from the io events actually read,
// notes, completeness and where reading stopped).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ctrecord/trace_events.hpp"
#include "ctrecord/trace_reader.hpp"

namespace ctharness {

struct StreamTotals {
  std::uint64_t bytes = 0;
  std::uint64_t chunks = 0;
};

struct TraceSummary {
  std::string path;
  std::uint32_t format_version = 0;
  bool complete = false;
  std::optional<std::string> error;  // why reading stopped early, with the offset
  std::optional<std::uint64_t> error_offset;
  std::uint64_t frames = 0;
  std::uint64_t file_size = 0;
  std::uint64_t events = 0;
  std::optional<ctrecord::StartEvent> start;
  std::optional<ctrecord::ExitEvent> exit;
  std::optional<ctrecord::EndEvent> end;
  std::array<StreamTotals, ctrecord::kStreamCount> streams{};
  std::vector<ctrecord::NoteEvent> notes;
};

// Reads every remaining event of `reader`.
TraceSummary summarize_trace(ctrecord::TraceReader& reader);

}  // namespace ctharness
