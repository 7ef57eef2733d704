// libFuzzer target: the event decoder, alone and behind the reader (docs/reliability.md#fuzzing).
//
// The input is up to kMaxFrames uncompressed frame payloads (encoded events, docs/
// trace-format.md "Event encoding") separated by "CTRFRAME". Each payload goes
//  1. through ctrecord::decode_events on its own. Every decoded event must survive
//     encode -> decode unchanged, and a payload that decodes without error and holds no unknown
//     event kind must be exactly the encoding of what it decoded to (the encoding is canonical);
//  2. into a trace file: the header, then each payload as a zstd frame made by the writer's
//     FrameCompressor (so the checksums are valid, which mutating a real trace almost never
//     achieves; trace_reader_fuzz covers damaged frames). TraceReader must hand out exactly the
//     events step 1 decoded, up to the first End event, and call the trace complete exactly
//     when nothing follows that End event;
//  3. what the reader handed out goes through the replay side's consumers: the per-test model
//     (ctreplay::TestRecordBuilder, test_output) and, for a complete trace, ctreplay::load_trace.
// A TraceFormatError (and load_trace's EnvironmentError for a trace it refuses) is the
// expected answer to bad input; crashes, leaks, undefined behaviour, huge allocations and
// broken invariants are findings.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "ctrecord/errors.hpp"
#include "ctrecord/event_codec.hpp"
#include "ctrecord/frame_compressor.hpp"
#include "ctrecord/trace_events.hpp"
#include "ctrecord/trace_reader.hpp"
#include "ctreplay/loaded_trace.hpp"
#include "ctreplay/test_records.hpp"
#include "fuzz_util.hpp"

namespace {

using ctrecord::TraceEvent;

constexpr std::size_t kMaxFrames = 16;

[[noreturn]] void broken(const char* invariant) {
  std::fprintf(stderr, "event_decode_fuzz: invariant broken: %s\n", invariant);
  std::abort();
}

bool is_end(const TraceEvent& event) {
  return std::holds_alternative<ctrecord::EndEvent>(event);
}

// The kind bytes of the entries in `payload`, walked as [u8 kind][u32 LE length][body]
// without decoding; nullopt when the walk does not fit the payload exactly.
std::optional<std::vector<unsigned char>> entry_kinds(std::string_view payload) {
  std::vector<unsigned char> kinds;
  std::size_t pos = 0;
  while (pos < payload.size()) {
    if (payload.size() - pos < 5) return std::nullopt;
    kinds.push_back(static_cast<unsigned char>(payload[pos]));
    std::uint64_t length = 0;
    for (int i = 0; i < 4; ++i) {
      length |= std::uint64_t{static_cast<unsigned char>(payload[pos + 1 + i])} << (8 * i);
    }
    if (length > payload.size() - pos - 5) return std::nullopt;
    pos += 5 + static_cast<std::size_t>(length);
  }
  return kinds;
}

// io_order (kind 10) counts as known: in a payload that decodes cleanly every io_order record
// was attached to the io record before it, and encoding that chunk writes both records again.
bool is_known_kind(unsigned char kind) {
  return (kind >= static_cast<unsigned char>(ctrecord::EventKind::Start) &&
          kind <= static_cast<unsigned char>(ctrecord::EventKind::Captured)) ||
         kind == static_cast<unsigned char>(ctrecord::EventKind::IoOrder);
}

// Every decoded event must encode, and decode back to itself.
void check_round_trip(const TraceEvent& event) {
  std::string bytes;
  ctrecord::encode_event(event, bytes);
  std::vector<TraceEvent> again;
  ctrecord::decode_events(bytes, 0, [&again](TraceEvent&& e) { again.push_back(std::move(e)); });
  if (again.size() != 1 || again.front() != event) {
    broken("an event did not survive encode -> decode");
  }
  std::string bytes_again;
  ctrecord::encode_event(again.front(), bytes_again);
  if (bytes_again != bytes) broken("encoding the same event twice gave different bytes");
}

struct DecodedPayload {
  std::vector<TraceEvent> events;  // handed to the sink, also those before an error
  bool error = false;
  bool ends_with_end_kind = false;  // decoded cleanly and its last entry is an End event
};

DecodedPayload decode_payload(std::string_view payload) {
  DecodedPayload out;
  try {
    ctrecord::decode_events(payload, 0,
                            [&out](TraceEvent&& e) { out.events.push_back(std::move(e)); });
  } catch (const ctrecord::TraceFormatError&) {
    out.error = true;
  }
  for (const auto& event : out.events) check_round_trip(event);
  const auto kinds = entry_kinds(payload);
  if (!out.error && !kinds) broken("a payload decoded cleanly but its entries do not fit");
  if (!out.error && std::all_of(kinds->begin(), kinds->end(), is_known_kind)) {
    std::string encoded;
    for (const auto& event : out.events) ctrecord::encode_event(event, encoded);
    if (encoded != payload) broken("a payload that decoded cleanly is not its events' encoding");
  }
  out.ends_with_end_kind = !out.error && !kinds->empty() &&
                           kinds->back() == static_cast<unsigned char>(ctrecord::EventKind::End);
  return out;
}

// What the reader has to say about the file made of these payloads.
struct Expected {
  std::vector<TraceEvent> events;
  bool complete = false;
};

Expected expect(const std::vector<std::string_view>& payloads,
                const std::vector<DecodedPayload>& decoded) {
  Expected expected;
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    for (std::size_t j = 0; j < decoded[i].events.size(); ++j) {
      expected.events.push_back(decoded[i].events[j]);
      if (!is_end(decoded[i].events[j])) continue;
      // Complete: this first End event is the last entry of the last payload (an unknown kind
      // after it is skipped by decode_events, but the reader calls it an event after the end).
      expected.complete = i + 1 == payloads.size() && j + 1 == decoded[i].events.size() &&
                          decoded[i].ends_with_end_kind;
      return expected;
    }
    if (decoded[i].error) return expected;
  }
  return expected;
}

void exercise_consumers(const std::vector<TraceEvent>& events, const std::string& path,
                        bool complete) {
  ctreplay::TestRecordBuilder builder;
  std::array<std::string, 3> streams;
  for (const auto& event : events) {
    builder.add(event);
    if (const auto* chunk = std::get_if<ctrecord::IoChunk>(&event)) {
      streams[static_cast<std::size_t>(chunk->stream)] += chunk->bytes;
    }
  }
  const auto tests = builder.finish();
  for (const auto& test : tests) {
    for (int s = 0; s < ctrecord::kStreamCount; ++s) {
      const auto stream = static_cast<ctrecord::Stream>(s);
      const std::string output =
          ctreplay::test_output(test, stream, streams[static_cast<std::size_t>(s)]);
      if (output.size() != test.output_size[static_cast<std::size_t>(s)]) {
        broken("a test's output is not as long as its output_size says");
      }
    }
  }
  (void)ctreplay::count_outcomes(tests);

  if (!complete) return;
  try {
    const ctreplay::LoadedTrace loaded = ctreplay::load_trace(path);
    for (int s = 0; s < ctrecord::kStreamCount; ++s) {
      const auto stream = static_cast<ctrecord::Stream>(s);
      (void)loaded.time_of_line(stream, 1);
      (void)loaded.time_of_line(stream, 3);
      for (const auto& test : loaded.tests) (void)loaded.test_output(test, stream);
    }
    (void)loaded.env_value("HOME");
  } catch (const ctrecord::EnvironmentError&) {
    // A complete trace without a start event or argv: refused, as documented.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static ctrfuzz::MemFile file("event_decode_fuzz");
  static ctrecord::FrameCompressor compressor;

  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto payloads = ctrfuzz::split_frames(input, kMaxFrames);

  // 1. Each payload on its own.
  std::vector<DecodedPayload> decoded;
  decoded.reserve(payloads.size());
  for (const auto payload : payloads) decoded.push_back(decode_payload(payload));
  const Expected expected = expect(payloads, decoded);

  // 2. The same payloads as a trace file.
  std::string trace = ctrfuzz::trace_header();
  std::string frame;
  for (const auto payload : payloads) {
    compressor.compress(payload, 1, frame);
    trace += frame;
  }
  file.set(trace);
  ctrecord::TraceReader reader(file.path());  // a valid header: throwing here is a finding
  std::vector<TraceEvent> events;
  while (auto event = reader.next()) events.push_back(std::move(*event));
  if (events != expected.events) broken("the reader's events differ from decode_events'");
  if (reader.complete() != expected.complete) broken("complete() is not what the frames say");
  if (reader.complete() == reader.error().has_value()) {
    broken("exactly one of complete() and error() must hold once next() returned nothing");
  }

  // 3. The replay side's consumers of those events.
  exercise_consumers(events, file.path(), reader.complete());
  return 0;
}
