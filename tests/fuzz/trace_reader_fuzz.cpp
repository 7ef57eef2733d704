// libFuzzer target: arbitrary bytes as a whole .ctrace file, read event by event with
// ctrecord::TraceReader (docs/reliability.md#fuzzing). A TraceFormatError, from the
// constructor or as the reader's error(), is the expected answer to a bad file; a crash, a
// leak, undefined behaviour, an allocation above -malloc_limit_mb, RSS above -rss_limit_mb
// or a broken invariant below is a finding.
//
// Mutations of a real trace almost never keep zstd's frame checksum valid, so this target
// mostly exercises the header, the frame-header checks, the limits and zstd's own decoder;
// event_decode_fuzz compresses its input into valid frames to reach the event decoder.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <variant>

#include "ctrecord/errors.hpp"
#include "ctrecord/trace_events.hpp"
#include "ctrecord/trace_reader.hpp"
#include "fuzz_util.hpp"

namespace {

[[noreturn]] void broken(const char* invariant) {
  std::fprintf(stderr, "trace_reader_fuzz: invariant broken: %s\n", invariant);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static ctrfuzz::MemFile file("trace_reader_fuzz");
  file.set(data, size);

  std::optional<ctrecord::TraceReader> reader;
  try {
    reader.emplace(file.path());
  } catch (const ctrecord::TraceFormatError& e) {
    if (e.offset() > size) broken("a header error's offset lies beyond the file");
    return 0;
  }
  if (reader->file_size() != size) broken("file_size() differs from the file's size");

  std::uint64_t events = 0;
  bool saw_end = false;
  while (auto event = reader->next()) {
    ++events;
    if (saw_end) broken("an event after the End event was handed out");
    saw_end = std::holds_alternative<ctrecord::EndEvent>(*event);
  }
  // Reading stopped: either at a clean end (complete, no error) or at a named problem.
  if (reader->complete() == reader->error().has_value()) {
    broken("exactly one of complete() and error() must hold once next() returned nothing");
  }
  if (reader->complete() && !saw_end) broken("complete() without an End event");
  if (reader->error() && reader->error()->offset() > size) {
    broken("an error's offset lies beyond the file");
  }
  if (reader->next()) broken("next() handed out an event after it had returned nothing");
  return 0;
}
