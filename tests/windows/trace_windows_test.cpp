// Windows captures written as .ctrace files (WinTraceRecording, record_child, ctrecord::Session
// on Windows) and read back with the same TraceReader as on Linux: exact bytes per stream
// (a text-mode child's "\r\n" included), start, stream_closed, exit and End events, counters.
// Two traces are kept in the test's working folder (wine_spawn.ctrace, wine_session.ctrace)
// for ci/check-wine-traces.py, which reads them with the Linux ctest-trace.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <io.h>
#include <windows.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <variant>

#include "ctrecord/errors.hpp"
#include "ctrecord/log.hpp"
#include "ctrecord/session.hpp"
#include "ctrecord/trace_reader.hpp"
#include "ctrecord/trace_recording_windows.hpp"
#include "ctrecord/win_handle.hpp"
#include "ctrecord/win_text.hpp"
#include "handle_count.hpp"
#include "test_util.hpp"

using ctrecord::Stream;

namespace {

struct ReadTrace {
  std::vector<ctrecord::TraceEvent> events;
  bool complete = false;
  std::string error;
  std::uint64_t frames = 0;

  template <typename T>
  std::vector<T> all() const {
    std::vector<T> found;
    for (const auto& event : events)
      if (const auto* e = std::get_if<T>(&event)) found.push_back(*e);
    return found;
  }
  std::string bytes(Stream stream) const {
    std::string joined;
    for (const auto& chunk : all<ctrecord::IoChunk>())
      if (chunk.stream == stream) joined += chunk.bytes;
    return joined;
  }
  std::size_t chunks(Stream stream) const {
    std::size_t n = 0;
    for (const auto& chunk : all<ctrecord::IoChunk>()) n += chunk.stream == stream ? 1 : 0;
    return n;
  }
};

ReadTrace read_trace(const std::string& path) {
  ReadTrace trace;
  ctrecord::TraceReader reader(path);
  while (auto event = reader.next()) trace.events.push_back(std::move(*event));
  trace.complete = reader.complete();
  if (reader.error()) trace.error = reader.error()->what();
  trace.frames = reader.frames_read();
  return trace;
}

// The first event is start, the last end, and end counts what the io events hold.
void expect_well_formed(const ReadTrace& trace) {
  EXPECT_TRUE(trace.complete) << trace.error;
  ASSERT_GE(trace.events.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<ctrecord::StartEvent>(trace.events.front()));
  ASSERT_TRUE(std::holds_alternative<ctrecord::EndEvent>(trace.events.back()));
  const auto& end = std::get<ctrecord::EndEvent>(trace.events.back());
  for (const Stream stream : {Stream::Stdin, Stream::Stdout, Stream::Stderr}) {
    const auto i = static_cast<std::size_t>(stream);
    EXPECT_EQ(end.counters.bytes[i], trace.bytes(stream).size()) << stream_name(stream);
    EXPECT_EQ(end.counters.chunks[i], trace.chunks(stream)) << stream_name(stream);
  }
  EXPECT_EQ(end.counters.dropped_chunks, 0u);
}

void write_raw(DWORD std_id, const std::string& bytes) {
  DWORD written = 0;
  WriteFile(GetStdHandle(std_id), bytes.data(), static_cast<DWORD>(bytes.size()), &written,
            nullptr);
}

// The reasons of `stream`'s stream_closed events, in order.
std::vector<std::string> closed_reasons(const ReadTrace& trace, Stream stream) {
  std::vector<std::string> reasons;
  for (const auto& closed : trace.all<ctrecord::StreamClosedEvent>())
    if (closed.stream == stream) reasons.push_back(closed.reason);
  return reasons;
}

}  // namespace

TEST(TraceWindows, SpawnWritesATraceWithTheExactBytesAndTheExit) {
  const auto result = ctrecord::record_child(
      child({L"out:hello", L"err:oops", L"binout:raw", L"exit:3"}), "wine_spawn.ctrace");
  EXPECT_EQ(result.child.exit_code, 3u);
  EXPECT_EQ(result.trace_error, std::nullopt);
  const ReadTrace trace = read_trace("wine_spawn.ctrace");  // kept for check-wine-traces.py
  expect_well_formed(trace);
  EXPECT_EQ(trace.bytes(Stream::Stdout), "hello\r\nraw\n");
  EXPECT_EQ(trace.bytes(Stream::Stderr), "oops\r\n");
  EXPECT_EQ(trace.bytes(Stream::Stdin), "");

  const auto& start = std::get<ctrecord::StartEvent>(trace.events.front());
  EXPECT_EQ(start.capture_mode, "spawn");
  EXPECT_EQ(start.stdin_mode, "null");
  ASSERT_EQ(start.argv.size(), 5u);
  EXPECT_EQ(start.argv[1], "out:hello");
  EXPECT_EQ(start.executable, ctrecord::utf8_from_wide(fixture_path(L"win_child.exe")));
  EXPECT_EQ(start.recorder_pid, static_cast<std::int64_t>(GetCurrentProcessId()));
  EXPECT_NE(start.child_pid, 0);
  EXPECT_NE(start.child_pid, start.recorder_pid);
  for (const auto& chunk : trace.all<ctrecord::IoChunk>())
    EXPECT_EQ(chunk.producer, static_cast<std::uint64_t>(start.child_pid));
  EXPECT_FALSE(start.cwd.empty());
  EXPECT_FALSE(start.hostname.empty());
  EXPECT_EQ(start.uname.rfind("Windows ", 0), 0u) << start.uname;
  EXPECT_FALSE(start.env.empty());
  EXPECT_TRUE(start.capture_io);

  const auto exits = trace.all<ctrecord::ExitEvent>();
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_TRUE(exits[0].exited);
  EXPECT_EQ(exits[0].code, 3);
  EXPECT_EQ(exits[0].status, 3);
  EXPECT_GT(exits[0].duration_ns, 0u);
  const auto closed = trace.all<ctrecord::StreamClosedEvent>();
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[0].reason, "eof");
  EXPECT_EQ(result.counters.bytes[1], 11u);
  EXPECT_EQ(result.counters.bytes[2], 6u);
}

TEST(TraceWindows, SpawnRecordsTheStdinItFed) {
  auto spec = child({L"echo"});
  const std::string input("a\0b\r\nc\nd\xff", 9);
  spec.stdin_bytes = input;
  const auto result = ctrecord::record_child(spec, "spawn_stdin.ctrace");
  EXPECT_EQ(result.trace_error, std::nullopt);
  const ReadTrace trace = read_trace("spawn_stdin.ctrace");
  std::remove("spawn_stdin.ctrace");
  expect_well_formed(trace);
  EXPECT_EQ(trace.bytes(Stream::Stdin), input);
  EXPECT_EQ(trace.bytes(Stream::Stdout), input);
  EXPECT_EQ(std::get<ctrecord::StartEvent>(trace.events.front()).stdin_mode, "replayed");
  EXPECT_EQ(closed_reasons(trace, Stream::Stdin), std::vector<std::string>{"eof"});
}

TEST(TraceWindows, SpawnRecordsTheChildsPidAsChildPidAndProducer) {
  auto spec = child({L"pid", L"err:e", L"echo"});
  spec.stdin_bytes = "in";
  const auto result = ctrecord::record_child(spec, "spawn_pid.ctrace");
  EXPECT_EQ(result.trace_error, std::nullopt);
  const ReadTrace trace = read_trace("spawn_pid.ctrace");
  std::remove("spawn_pid.ctrace");
  expect_well_formed(trace);
  const auto& start = std::get<ctrecord::StartEvent>(trace.events.front());
  ASSERT_NE(result.child.pid, 0u);
  EXPECT_EQ(start.child_pid, static_cast<std::int64_t>(result.child.pid));
  EXPECT_EQ(trace.bytes(Stream::Stdout), "pid:" + std::to_string(result.child.pid) + "\nin");
  for (const auto& chunk : trace.all<ctrecord::IoChunk>()) {
    EXPECT_EQ(chunk.producer, chunk.stream == Stream::Stdin ? 0u : result.child.pid)
        << stream_name(chunk.stream);
  }
}

TEST(TraceWindows, SpawnRecordsADrainTimeoutForAStreamAGrandchildHeld) {
  auto spec = child({L"grandchild:8000", L"out:parent-done"});
  spec.drain_timeout = std::chrono::milliseconds(500);
  const auto t0 = std::chrono::steady_clock::now();
  const auto result = ctrecord::record_child(spec, "spawn_held.ctrace");
  const auto elapsed_ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
          .count());
  const ReadTrace trace = read_trace("spawn_held.ctrace");
  std::remove("spawn_held.ctrace");
  const std::string out = trace.bytes(Stream::Stdout);
  const std::size_t at = out.find("gpid:");
  if (at != std::string::npos) {
    ctrecord::UniqueHandle grandchild(
        OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE, FALSE,
                    static_cast<DWORD>(std::stoul(out.substr(at + 5)))));
    if (grandchild) {
      TerminateProcess(grandchild.get(), 1);
      WaitForSingleObject(grandchild.get(), 5000);
    }
  }
  EXPECT_EQ(result.trace_error, std::nullopt);
  expect_well_formed(trace);
  EXPECT_EQ(result.child.held_open, (std::vector<Stream>{Stream::Stdout, Stream::Stderr}));
  const auto closed = trace.all<ctrecord::StreamClosedEvent>();
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[0].reason, "drain-timeout");
  EXPECT_EQ(closed[1].reason, "drain-timeout");
  bool noted = false;
  for (const auto& note : trace.all<ctrecord::NoteEvent>())
    noted = noted || note.text.find("still held open") != std::string::npos;
  EXPECT_TRUE(noted);
  const auto exits = trace.all<ctrecord::ExitEvent>();
  ASSERT_EQ(exits.size(), 1u);
  // The child's run, without the drain that followed it.
  EXPECT_LE(exits[0].duration_ns + 400'000'000u, elapsed_ns);
}

TEST(TraceWindows, LargeOutputIsCompressedIntoSeveralFrames) {
  const auto result = ctrecord::record_child(child({L"big:8388608"}), "spawn_big.ctrace");
  EXPECT_EQ(result.trace_error, std::nullopt);
  const ReadTrace trace = read_trace("spawn_big.ctrace");
  std::remove("spawn_big.ctrace");
  expect_well_formed(trace);
  EXPECT_EQ(trace.bytes(Stream::Stdout), std::string(8388608, 'x'));
  EXPECT_GT(trace.frames, 2u);  // frames close at 512 KiB of events
}

TEST(TraceWindows, ATraceThatCannotBeCreatedIsAnEnvironmentErrorNamingThePath) {
  try {
    ctrecord::record_child(child({L"out:x"}), "no-such-folder/x.ctrace");
    FAIL() << "no exception";
  } catch (const ctrecord::EnvironmentError& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-folder/x.ctrace"), std::string::npos) << e.what();
  }
}

TEST(TraceWindows, SessionWritesATraceWithTheExactBytes) {
  auto session = ctrecord::Session::start(
      {.trace_path = "wine_session.ctrace", .argv = {"prog", "an arg"}});  // kept for the check
  std::printf("printf\n");
  std::cout << "cout" << std::endl;
  write_raw(STD_OUTPUT_HANDLE, "raw\n");
  std::fprintf(stderr, "err\n");
  const ctrecord::StopReport report = session.stop();
  EXPECT_EQ(report.trace_error, std::nullopt);
  EXPECT_TRUE(report.held_open.empty());
  EXPECT_FALSE(session.active());

  const ReadTrace trace = read_trace("wine_session.ctrace");
  expect_well_formed(trace);
  EXPECT_EQ(trace.bytes(Stream::Stdout), "printf\r\ncout\r\nraw\n");
  EXPECT_EQ(trace.bytes(Stream::Stderr), "err\r\n");
  EXPECT_EQ(report.counters.bytes[1], 18u);
  EXPECT_EQ(report.counters.bytes[2], 5u);
  const auto& start = std::get<ctrecord::StartEvent>(trace.events.front());
  EXPECT_EQ(start.capture_mode, "in-process");
  EXPECT_EQ(start.argv, (std::vector<std::string>{"prog", "an arg"}));
  EXPECT_EQ(start.stdin_mode, "forwarded");  // CTest's stdin: /dev/null, a character device
  EXPECT_EQ(start.executable, ctrecord::utf8_from_wide(fixture_path(L"ctr_win_tests.exe")));
  EXPECT_EQ(closed_reasons(trace, Stream::Stdout), std::vector<std::string>{"eof"});
  EXPECT_EQ(closed_reasons(trace, Stream::Stderr), std::vector<std::string>{"eof"});
  // CTest's /dev/null stdin: "eof" once the feeder read its end, "session-stopped" when the
  // stop came first (the tests below pin each down).
  EXPECT_EQ(closed_reasons(trace, Stream::Stdin).size(), 1u);
  for (const auto& chunk : trace.all<ctrecord::IoChunk>())
    EXPECT_EQ(chunk.producer, static_cast<std::uint64_t>(GetCurrentProcessId()));
}

TEST(TraceWindows, SessionArgvDefaultsToTheCommandLine) {
  auto session = ctrecord::Session::start({.trace_path = "session_argv.ctrace"});
  session.stop();
  const ReadTrace trace = read_trace("session_argv.ctrace");
  std::remove("session_argv.ctrace");
  const auto& start = std::get<ctrecord::StartEvent>(trace.events.front());
  ASSERT_FALSE(start.argv.empty());
  EXPECT_NE(start.argv[0].find("ctr_win_tests"), std::string::npos) << start.argv[0];
}

TEST(TraceWindows, SessionLogLinesNeverBecomeProgramOutput) {
  auto session = ctrecord::Session::start({.trace_path = "session_log.ctrace"});
  ctrecord::log::warning("a line of the recorder's own");
  std::fprintf(stderr, "program\n");
  session.stop();
  const ReadTrace trace = read_trace("session_log.ctrace");
  std::remove("session_log.ctrace");
  EXPECT_EQ(trace.bytes(Stream::Stderr), "program\r\n");
}

TEST(TraceWindows, SessionContextStampsTheChunksReadAfterIt) {
  ctrecord::set_context("suite.test");
  auto session = ctrecord::Session::start({.trace_path = "session_context.ctrace"});
  std::printf("in the test\n");
  session.stop();
  ctrecord::set_context("");
  const ReadTrace trace = read_trace("session_context.ctrace");
  std::remove("session_context.ctrace");
  const auto chunks = trace.all<ctrecord::IoChunk>();
  ASSERT_FALSE(chunks.empty());
  for (const auto& chunk : chunks) EXPECT_EQ(chunk.context, "suite.test");
}

TEST(TraceWindows, SessionWithCaptureOffRecordsMetadataOnly) {
  auto session =
      ctrecord::Session::start({.trace_path = "session_off.ctrace", .capture_io = false});
  std::printf("not captured\n");
  const auto report = session.stop();
  EXPECT_EQ(report.trace_error, std::nullopt);
  const ReadTrace trace = read_trace("session_off.ctrace");
  std::remove("session_off.ctrace");
  expect_well_formed(trace);
  EXPECT_FALSE(std::get<ctrecord::StartEvent>(trace.events.front()).capture_io);
  EXPECT_TRUE(trace.all<ctrecord::IoChunk>().empty());
  const auto notes = trace.all<ctrecord::NoteEvent>();
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].text.find("capture is off"), std::string::npos);
}

TEST(TraceWindows, OnlyOneSessionAtATimeAndAFailedStartChangesNothing) {
  auto session = ctrecord::Session::start({.trace_path = "session_one.ctrace"});
  EXPECT_THROW(ctrecord::Session::start({.trace_path = "session_two.ctrace"}),
               ctrecord::UsageError);
  session.stop();
  EXPECT_THROW(ctrecord::Session::start({}), ctrecord::UsageError);  // no trace path
  EXPECT_THROW(ctrecord::Session::start({.trace_path = "no-such-folder/s.ctrace"}),
               ctrecord::EnvironmentError);
  // Nothing left active: a new session starts.
  ctrecord::Session::start({.trace_path = "session_two.ctrace"}).stop();
  std::remove("session_one.ctrace");
  std::remove("session_two.ctrace");
}

TEST(TraceWindows, SessionStartStopLoopsLeakNoHandle) {
  // As in SessionWindows.StartStopLoopsLeakNoHandle: Wine may add one handle once per process.
  for (int i = 0; i < 5; ++i) ctrecord::Session::start({.trace_path = "loop.ctrace"}).stop();
  const long before = process_handle_count();
  ASSERT_GT(before, 0);
  for (int i = 0; i < 100; ++i) {
    auto session = ctrecord::Session::start({.trace_path = "loop.ctrace"});
    std::printf("cycle %d\n", i);
    std::fprintf(stderr, "e%d\n", i);
    const auto report = session.stop();
    ASSERT_EQ(report.trace_error, std::nullopt);
    ASSERT_EQ(report.counters.bytes[1], ("cycle " + std::to_string(i) + "\r\n").size());
  }
  const long after = process_handle_count();
  std::remove("loop.ctrace");
  EXPECT_GE(after, before);
  EXPECT_LE(after, before + 1) << "handles grew from " << before << " to " << after;
}

namespace {

// Makes `fd` (taken over) descriptor 0 and STD_INPUT_HANDLE for the object's lifetime.
class StdinFrom {
 public:
  explicit StdinFrom(int fd) : saved_(_dup(0)) {
    _dup2(fd, 0);
    _close(fd);
    SetStdHandle(STD_INPUT_HANDLE, reinterpret_cast<HANDLE>(_get_osfhandle(0)));
  }
  StdinFrom(const StdinFrom&) = delete;
  StdinFrom& operator=(const StdinFrom&) = delete;
  ~StdinFrom() {
    _dup2(saved_, 0);
    _close(saved_);
    SetStdHandle(STD_INPUT_HANDLE, reinterpret_cast<HANDLE>(_get_osfhandle(0)));
  }

 private:
  int saved_;
};

std::string read_fd0(std::size_t count) {
  std::string all(count, '\0');
  std::size_t got = 0;
  while (got < count) {
    const int n = _read(0, all.data() + got, static_cast<unsigned>(count - got));
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  all.resize(got);
  return all;
}

}  // namespace

TEST(TraceWindows, SessionRecordsAPipeStdinTheProgramRead) {
  HANDLE read = nullptr;
  HANDLE write = nullptr;
  ASSERT_TRUE(CreatePipe(&read, &write, nullptr, 0));
  ctrecord::UniqueHandle writer(write);
  const std::string input("first\nsecond\n\0\xff", 15);
  DWORD written = 0;
  ASSERT_TRUE(
      WriteFile(writer.get(), input.data(), static_cast<DWORD>(input.size()), &written, nullptr));
  writer.reset();  // the program reads to the end
  std::string got;
  ctrecord::StopReport report;
  {
    StdinFrom stdin_from(_open_osfhandle(reinterpret_cast<intptr_t>(read), _O_RDONLY | _O_BINARY));
    auto session = ctrecord::Session::start({.trace_path = "session_stdin.ctrace"});
    got = read_fd0(input.size() + 1);  // to the end
    report = session.stop();
  }
  EXPECT_EQ(got, input);
  EXPECT_EQ(report.stdin_unconsumed_bytes, 0u);
  const ReadTrace trace = read_trace("session_stdin.ctrace");
  std::remove("session_stdin.ctrace");
  expect_well_formed(trace);
  EXPECT_EQ(std::get<ctrecord::StartEvent>(trace.events.front()).stdin_mode, "forwarded");
  EXPECT_EQ(trace.bytes(Stream::Stdin), input);
  EXPECT_EQ(closed_reasons(trace, Stream::Stdin), std::vector<std::string>{"eof"});
  EXPECT_EQ(report.counters.bytes[0], input.size());
  for (const auto& chunk : trace.all<ctrecord::IoChunk>()) {
    if (chunk.stream == Stream::Stdin) {
      EXPECT_EQ(chunk.producer, 0u);
    }
  }
}

TEST(TraceWindows, SessionCountsAndNotesStdinThatWasNotConsumed) {
  HANDLE read = nullptr;
  HANDLE write = nullptr;
  ASSERT_TRUE(CreatePipe(&read, &write, nullptr, 0));
  ctrecord::UniqueHandle writer(write);
  const std::string input = "abcdefghij";
  DWORD written = 0;
  ASSERT_TRUE(
      WriteFile(writer.get(), input.data(), static_cast<DWORD>(input.size()), &written, nullptr));
  std::string got;
  ctrecord::StopReport report;
  {
    StdinFrom stdin_from(_open_osfhandle(reinterpret_cast<intptr_t>(read), _O_RDONLY | _O_BINARY));
    auto session = ctrecord::Session::start({.trace_path = "session_stdin_part.ctrace"});
    got = read_fd0(4);
    report = session.stop();
  }
  EXPECT_EQ(got, "abcd");
  EXPECT_EQ(report.stdin_unconsumed_bytes, 6u);
  const ReadTrace trace = read_trace("session_stdin_part.ctrace");
  std::remove("session_stdin_part.ctrace");
  expect_well_formed(trace);
  const std::string recorded = trace.bytes(Stream::Stdin);
  EXPECT_EQ(recorded, input.substr(0, recorded.size()));
  EXPECT_GE(recorded.size(), 4u);
  // The writer is still open: the session ended stdin, not the original's end.
  EXPECT_EQ(closed_reasons(trace, Stream::Stdin), std::vector<std::string>{"session-stopped"});
  bool noted = false;
  for (const auto& note : trace.all<ctrecord::NoteEvent>())
    noted = noted || note.text.find("6 bytes of stdin were read ahead") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST(TraceWindows, SessionRecordsTheConsumedRangeOfAFileStdin) {
  const std::wstring path = fixture_path(L"session_stdin_file.txt");
  {
    FILE* file = _wfopen(path.c_str(), L"wb");
    ASSERT_NE(file, nullptr);
    std::fputs("0123456789", file);
    std::fclose(file);
  }
  const int fd = _wopen(path.c_str(), _O_RDONLY | _O_BINARY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(_lseek(fd, 2, SEEK_SET), 2);
  std::string got;
  ctrecord::StopReport report;
  {
    StdinFrom stdin_from(fd);
    auto session = ctrecord::Session::start({.trace_path = "session_stdin_file.ctrace"});
    got = read_fd0(5);
    report = session.stop();
  }
  DeleteFileW(path.c_str());
  EXPECT_EQ(got, "23456");
  EXPECT_EQ(report.stdin_unconsumed_bytes, 0u);
  const ReadTrace trace = read_trace("session_stdin_file.ctrace");
  std::remove("session_stdin_file.ctrace");
  expect_well_formed(trace);
  EXPECT_EQ(std::get<ctrecord::StartEvent>(trace.events.front()).stdin_mode, "file");
  EXPECT_EQ(trace.bytes(Stream::Stdin), "23456");
  EXPECT_EQ(closed_reasons(trace, Stream::Stdin), std::vector<std::string>{"file-consumed"});
}

TEST(TraceWindows, SessionWithCaptureStdinOffLeavesStdinAlone) {
  auto session =
      ctrecord::Session::start({.trace_path = "session_nostdin.ctrace", .capture_stdin = false});
  session.stop();
  const ReadTrace trace = read_trace("session_nostdin.ctrace");
  std::remove("session_nostdin.ctrace");
  EXPECT_EQ(std::get<ctrecord::StartEvent>(trace.events.front()).stdin_mode, "inherited");
  EXPECT_TRUE(closed_reasons(trace, Stream::Stdin).empty());
}
