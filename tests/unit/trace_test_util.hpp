// Test helpers for trace writer/reader tests: temporary files, sample events with every field
// set, and "write these events / read everything back" shortcuts.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "ctrecord/errors.hpp"
#include "ctrecord/trace_events.hpp"
#include "ctrecord/trace_file_writer.hpp"
#include "ctrecord/trace_reader.hpp"
#include "ctrecord/unique_fd.hpp"

namespace ctrtest {

// A file path in a fresh temporary directory, removed (with the directory) on destruction.
class TempFile {
 public:
  explicit TempFile(const std::string& name = "t.ctrace") {
    std::string pattern = (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp");
    pattern += "/ctr-test-XXXXXX";
    dir_ = ::mkdtemp(pattern.data()) ? pattern : throw std::runtime_error("mkdtemp failed");
    path_ = dir_ + "/" + name;
  }
  ~TempFile() {
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string dir_;
  std::string path_;
};

inline ctrecord::UniqueFd open_for_writing(const std::string& path) {
  ctrecord::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) throw ctrecord::EnvironmentError("open", path, errno);
  return fd;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline ctrecord::StartEvent sample_start() {
  ctrecord::StartEvent s;
  s.argv = {"python3", std::string("a\0b", 3), "\xff\xfe not utf8", ""};
  s.executable = "/usr/bin/python3";
  s.cwd = "/home/user/project";
  s.env = {{"PATH", "/usr/bin:/bin", false}, {"API_TOKEN", "", true}};
  s.hostname = "buildbox";
  s.uname = "Linux 6.1.0 #1 SMP x86_64";
  s.start_unix_ns = 1714567890123456789;
  s.tool_version = "0.1.0";
  s.capture_io = false;
  s.policy_source = "env";
  s.isatty = {true, false, true};
  s.stdin_mode = "forwarded";
  s.git_commit = "0123456789abcdef0123456789abcdef01234567";
  s.recorder_pid = 4242;
  s.child_pid = -7;
  s.capture_mode = "in-process";
  return s;
}

inline ctrecord::IoChunk sample_chunk(ctrecord::Stream stream, std::string bytes,
                                      std::uint64_t t_ns = 12345) {
  ctrecord::IoChunk c;
  c.stream = stream;
  c.t_ns = t_ns;
  c.bytes = std::move(bytes);
  c.producer = 0xfedcba9876543210ULL;
  c.context = "tests/test_x.py::test_y";
  return c;
}

// A chunk of an exact-order recording (ctest-record --order=exact): Exact with its sequence
// number, write count and thread, or Unsequenced (seq/writes/tid 0).
inline ctrecord::IoChunk ordered_chunk(ctrecord::Stream stream, std::string bytes,
                                       ctrecord::ChunkOrder order, std::uint64_t seq = 0,
                                       std::uint64_t writes = 0, std::uint64_t tid = 0,
                                       std::uint64_t t_ns = 12345) {
  ctrecord::IoChunk c = sample_chunk(stream, std::move(bytes), t_ns);
  c.order = order;
  c.seq = seq;
  c.writes = writes;
  c.tid = tid;
  return c;
}

inline ctrecord::IoChunk exact_chunk(ctrecord::Stream stream, std::string bytes, std::uint64_t seq,
                                     std::uint64_t writes = 1, std::uint64_t tid = 777) {
  return ordered_chunk(stream, std::move(bytes), ctrecord::ChunkOrder::Exact, seq, writes, tid);
}

inline ctrecord::IoChunk unsequenced_chunk(ctrecord::Stream stream, std::string bytes) {
  return ordered_chunk(stream, std::move(bytes), ctrecord::ChunkOrder::Unsequenced);
}

inline ctrecord::ExitEvent sample_exit() {
  ctrecord::ExitEvent e;
  e.t_ns = 999;
  e.exited = false;
  e.code = -3;
  e.signal = 9;
  e.core_dumped = true;
  e.status = 137;
  e.spawn_error = "spawn went wrong";
  e.duration_ns = 0xffffffffffffffffULL;
  e.max_rss_kib = -1;
  e.user_cpu_us = 17;
  e.sys_cpu_us = 1ULL << 40;
  return e;
}

inline ctrecord::EndEvent sample_end() {
  ctrecord::EndEvent e;
  e.t_ns = 1000;
  e.counters.bytes = {1, 2, 3};
  e.counters.chunks = {4, 5, 6};
  e.counters.dropped_chunks = 7;
  e.counters.dropped_bytes = 8;
  e.counters.queue_high_water = 9;
  return e;
}

// One event of every kind, every field set to a non-default value.
inline std::vector<ctrecord::TraceEvent> every_kind() {
  return {
      sample_start(),
      sample_chunk(ctrecord::Stream::Stderr, std::string("x\0y\n", 4)),
      ctrecord::StreamClosedEvent{ctrecord::Stream::Stdin, 77, "console-closed"},
      ctrecord::NoteEvent{88, ctrecord::NoteLevel::Warning, "grace period expired"},
      ctrecord::TestEvent{91, ctrecord::TestPhase::Finished, "tests/t.py::test_a[1]", "failed",
                          12345, 4242},
      ctrecord::CapturedEvent{92, "tests/t.py::test_a[1]", "stdout call", std::string("o\0k", 3),
                              4242},
      ctrecord::TerminalEvent{93, ctrecord::TerminalChange::Opened, "pty", true, 24, 80, 640, 480,
                              "xterm-256color"},
      ctrecord::TerminalEvent{94, ctrecord::TerminalChange::Resized, "", false, 50, 132, 0, 0, ""},
      sample_exit(),
      sample_end(),
  };
}

// Writes `events` to `path`, one frame per `per_frame` events (0: all in one frame).
inline void write_trace(const std::string& path, const std::vector<ctrecord::TraceEvent>& events,
                        std::size_t per_frame = 0) {
  ctrecord::TraceFileWriter writer(open_for_writing(path), path);
  std::size_t n = 0;
  for (const auto& ev : events) {
    writer.append(ev);
    if (per_frame != 0 && ++n % per_frame == 0) writer.flush_frame();
  }
  writer.close();
}

struct ReadResult {
  std::vector<ctrecord::TraceEvent> events;
  bool complete = false;
  std::optional<ctrecord::TraceFormatError> error;
  std::uint64_t frames = 0;
};

inline ReadResult read_trace(const std::string& path) {
  ReadResult r;
  ctrecord::TraceReader reader(path);
  while (auto ev = reader.next()) r.events.push_back(std::move(*ev));
  r.complete = reader.complete();
  r.error = reader.error();
  r.frames = reader.frames_read();
  return r;
}

}  // namespace ctrtest
