// Writes the fuzzers' generated seed corpus (docs/reliability.md#fuzzing) with the real
// writer, so the seeds follow the format as it changes: fuzz_seeds OUT_DIR creates
//   OUT_DIR/trace_reader_fuzz/   small valid .ctrace files (one frame, a frame per event, a
//                                test run, an incomplete trace, an exact-order run);
//   OUT_DIR/event_decode_fuzz/   frame payloads of encoded events separated by "CTRFRAME"
//                                (exact-order chunks and a stray io_order record among them);
//   OUT_DIR/control_protocol_fuzz/  request frames as a test run sends them, replies, an
//                                endpoint;
//   OUT_DIR/limits/              inputs at the reader's memory bound, run once each by
//                                `make fuzz` under the same limits, never mutated (mutating
//                                them would spend the fuzzing time decompressing 64 MiB):
//                                a frame declaring and holding kMaxFrameBytes of zeros with a
//                                valid and with a broken checksum, and the event that decodes
//                                to the most memory (a kMaxEventBytes body of empty strings).
// The normaliser's seeds are plain text, committed under tests/fuzz/corpus/.
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ctrecord/control_protocol.hpp"
#include "ctrecord/event_codec.hpp"
#include "ctrecord/frame_compressor.hpp"
#include "ctrecord/trace_format.hpp"
#include "fuzz_util.hpp"
#include "trace_test_util.hpp"

namespace {

using ctrecord::Stream;
using ctrecord::TraceEvent;
namespace fs = std::filesystem;

void write(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string encoded(const std::vector<TraceEvent>& events) {
  std::string out;
  for (const auto& event : events) ctrecord::encode_event(event, out);
  return out;
}

// A pytest-like run: start, a test that passes with output and a captured section, one that
// fails, exit and end.
std::vector<TraceEvent> test_run() {
  using ctrecord::TestPhase;
  auto start = ctrtest::sample_start();
  start.argv = {"python3", "-m", "pytest", "tests/"};
  auto out = ctrtest::sample_chunk(Stream::Stdout, "test_a.py .\n", 10);
  out.context = "test_a.py::test_one";
  auto err = ctrtest::sample_chunk(Stream::Stderr, "warning: slow\r\n", 11);
  err.context = "test_a.py::test_two";
  return {
      start,
      ctrtest::sample_chunk(Stream::Stdin, "y\n", 5),
      ctrecord::TestEvent{9, TestPhase::Started, "test_a.py::test_one", "", 0, 42},
      out,
      ctrecord::CapturedEvent{12, "test_a.py::test_one", "stdout call", "captured\n", 42},
      ctrecord::TestEvent{13, TestPhase::Finished, "test_a.py::test_one", "passed", 3, 42},
      ctrecord::TestEvent{14, TestPhase::Started, "test_a.py::test_two", "", 0, 42},
      err,
      ctrecord::TestEvent{15, TestPhase::Finished, "test_a.py::test_two", "failed", 0, 42},
      ctrecord::TerminalEvent{15, ctrecord::TerminalChange::Resized, "", false, 30, 100, 0, 0, ""},
      ctrecord::StreamClosedEvent{Stream::Stdout, 16, "eof"},
      ctrtest::sample_exit(),
      ctrtest::sample_end(),
  };
}

// An exact-order run (ctest-record --order=exact): exact chunks of both streams (one of
// several writes), an unsequenced one, and stdin, which is always in read order.
std::vector<TraceEvent> exact_order_run() {
  return {
      ctrtest::sample_start(),
      ctrtest::sample_chunk(Stream::Stdin, "y\n", 5),
      ctrtest::exact_chunk(Stream::Stdout, "1 out\n", 1, 1, 101),
      ctrtest::exact_chunk(Stream::Stderr, "2 err\n3 err\n", 2, 2, 102),
      ctrtest::unsequenced_chunk(Stream::Stdout, "static\n"),
      ctrtest::exact_chunk(Stream::Stdout, "4 out\n", 4, 1, 101),
      ctrtest::sample_exit(),
      ctrtest::sample_end(),
  };
}

void trace_seeds(const fs::path& dir) {
  const auto every = ctrtest::every_kind();
  ctrtest::write_trace((dir / "every_kind.ctrace").string(), every);
  ctrtest::write_trace((dir / "frame_per_event.ctrace").string(), every, 1);
  ctrtest::write_trace((dir / "test_run.ctrace").string(), test_run(), 4);
  auto incomplete = every;
  incomplete.pop_back();  // no End event: a recorder killed mid-run
  ctrtest::write_trace((dir / "incomplete.ctrace").string(), incomplete);
  write(dir / "header_only.ctrace", ctrfuzz::trace_header());
  ctrtest::write_trace((dir / "exact_order.ctrace").string(), exact_order_run(), 3);
}

void payload_seeds(const fs::path& dir) {
  const auto sep = std::string(ctrfuzz::kFrameSeparator);
  const auto every = ctrtest::every_kind();
  write(dir / "every_kind", encoded(every));
  std::string per_event;
  for (const auto& event : every) per_event += (per_event.empty() ? "" : sep) + encoded({event});
  write(dir / "frame_per_event", per_event);
  const auto run = test_run();
  const std::vector<TraceEvent> first(run.begin(), run.begin() + 5);
  const std::vector<TraceEvent> rest(run.begin() + 5, run.end());
  write(dir / "test_run", encoded(first) + sep + encoded(rest));
  // An event kind from a newer writer (skipped) between two known ones.
  std::string unknown = encoded({every[1]});
  unknown += std::string("\x63\x03\x00\x00\x00xyz", 8);
  write(dir / "unknown_kind", unknown + encoded({every.back()}));
  // Exact-order chunks (io + io_order records), and an io_order record without its io record.
  const auto exact = exact_order_run();
  write(dir / "exact_order", encoded(exact));
  const std::string exact_chunk = encoded({exact[2]});
  const std::string io_order = exact_chunk.substr(exact_chunk.size() - 5 - 25);  // header + body
  write(dir / "stray_io_order", encoded({exact[0]}) + io_order + encoded({exact.back()}));
}

void control_seeds(const fs::path& dir) {
  namespace control = ctrecord::control;
  std::string run;
  run += control::encode_request(control::TestStarted{"tests/t.py::test_a[1]"});
  run += control::encode_request(
      control::Captured{"tests/t.py::test_a[1]", "stdout call", std::string("o\0k\n", 4)});
  run += control::encode_request(control::TestFinished{"tests/t.py::test_a[1]", "passed", 1234});
  write(dir / "test_run", run);
  write(dir / "replies",
        control::encode_reply({true, ""}) + control::encode_reply({false, "unknown test id"}));
  write(dir / "endpoint", control::format_endpoint({3, 64769, 123456}));
}

void limit_seeds(const fs::path& dir) {
  const std::string zeros(ctrecord::trace_format::kMaxFrameBytes, '\0');
  ctrecord::FrameCompressor compressor;
  std::string frame;
  compressor.compress(zeros, 1, frame);
  write(dir / "max_frame_valid_checksum.ctrace", ctrfuzz::trace_header() + frame);
  frame.back() = static_cast<char>(frame.back() ^ 0x5a);  // the checksum is the last 4 bytes
  write(dir / "max_frame_bad_checksum.ctrace", ctrfuzz::trace_header() + frame);

  // 8 encoded bytes per empty string, 32 in memory: a start event whose argv fills the body.
  ctrecord::StartEvent start;
  const std::size_t base = encoded({start}).size() - 5;  // the body without any argv element
  start.argv.resize((ctrecord::trace_format::kMaxEventBytes - base) / 8);
  ctrtest::write_trace((dir / "max_event_empty_strings.ctrace").string(),
                       {start, ctrtest::sample_end()});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seeds OUT_DIR\n");
    return 2;
  }
  const fs::path out(argv[1]);
  try {
    for (const char* sub :
         {"trace_reader_fuzz", "event_decode_fuzz", "control_protocol_fuzz", "limits"}) {
      fs::create_directories(out / sub);
    }
    trace_seeds(out / "trace_reader_fuzz");
    payload_seeds(out / "event_decode_fuzz");
    control_seeds(out / "control_protocol_fuzz");
    limit_seeds(out / "limits");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
