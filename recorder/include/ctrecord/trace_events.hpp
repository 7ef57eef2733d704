// The events a .ctrace file holds (format v1). Every field here is part of the on-disk format
// (see docs/trace-format.md): adding an event kind is compatible (old readers skip it),
// changing a field is a format version bump.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "ctrecord/io_chunk.hpp"

namespace ctrecord {

struct EnvVar {
  std::string name;
  std::string value;      // empty when redacted
  bool redacted = false;  // name looked secret (*TOKEN*, *SECRET*, *PASSWORD*, *KEY*, ...)
  bool operator==(const EnvVar&) const = default;
};

// First event of every trace: what ran, where, and how it was captured.
struct StartEvent {
  std::vector<std::string> argv;  // the command as given
  std::string executable;         // resolved path of argv[0] (empty if not found)
  std::string cwd;
  std::vector<EnvVar> env;
  std::string hostname;
  std::string uname;               // "sysname release version machine"
  std::int64_t start_unix_ns = 0;  // wall clock at start
  std::string tool_version;
  bool capture_io = true;        // RecorderPolicy::io_capture_enabled
  std::string policy_source;     // where capture_io came from: "default",
                                 // "env CTEST_CAPTURE_IO=<value>", "flag --[no-]capture-io"
  std::array<bool, 3> isatty{};  // was the recorder's fd 0/1/2 a terminal
  std::string stdin_mode;        // forwarded, file, null, closed
  std::string git_commit;        // HEAD of the cwd's git repository, if any
  std::int64_t recorder_pid = 0;
  std::int64_t child_pid = 0;  // 0 if the command could not be started
  std::string capture_mode;    // "spawn" (ctest-record) or "in-process" (Session)
  bool operator==(const StartEvent&) const = default;
};

// A stream reached its end in the recording (EOF, console gone, grace period over, ...).
struct StreamClosedEvent {
  Stream stream = Stream::Stdout;
  std::uint64_t t_ns = 0;
  std::string reason;  // "eof", "console-closed", "child-exited", "grace-expired", ...
  bool operator==(const StreamClosedEvent&) const = default;
};

enum class NoteLevel : std::uint8_t { Info = 0, Warning = 1, Error = 2 };

// Something the recorder wants a reader of the trace to know (also logged on stderr).
struct NoteEvent {
  std::uint64_t t_ns = 0;
  NoteLevel level = NoteLevel::Info;
  std::string text;
  bool operator==(const NoteEvent&) const = default;
};

struct ExitEvent {
  std::uint64_t t_ns = 0;
  bool exited = false;  // true: normal exit with `code`; false: killed by `signal`
  std::int32_t code = 0;
  std::int32_t signal = 0;
  bool core_dumped = false;
  std::int32_t status = 0;  // shell-style status: code, 128+signal, 127/126 spawn errors
  std::string spawn_error;  // why the command could not be started (then status 126/127)
  std::uint64_t duration_ns = 0;
  std::int64_t max_rss_kib = 0;
  std::uint64_t user_cpu_us = 0;
  std::uint64_t sys_cpu_us = 0;
  bool operator==(const ExitEvent&) const = default;
};

struct Counters {
  std::array<std::uint64_t, 3> bytes{};  // per stream, indexed by Stream
  std::array<std::uint64_t, 3> chunks{};
  std::uint64_t dropped_chunks = 0;
  std::uint64_t dropped_bytes = 0;
  std::uint64_t queue_high_water = 0;  // most events waiting for the writer at once
  bool operator==(const Counters&) const = default;
};

// Last event of a complete trace. A trace without it was cut short (recorder killed, disk
// full); readers report it as incomplete.
struct EndEvent {
  std::uint64_t t_ns = 0;
  Counters counters;
  bool operator==(const EndEvent&) const = default;
};

enum class TestPhase : std::uint8_t { Started = 0, Finished = 1 };

// A test-framework integration said a test started or finished (docs/control-protocol.md).
// Written after everything the command wrote before the message, before anything after it.
struct TestEvent {
  std::uint64_t t_ns = 0;
  TestPhase phase = TestPhase::Started;
  std::string test_id;            // pytest nodeid, unittest id(), gtest Suite.Name
  std::string outcome;            // finished only: passed, failed, skipped, error, xfailed, ...
  std::uint64_t duration_ns = 0;  // finished only: as the framework measured it (0: unknown)
  std::uint64_t producer = 0;     // pid of the process that sent it
  bool operator==(const TestEvent&) const = default;
};

// Output a framework captured itself for a test (pytest's "Captured stdout call"), so it never
// reached the console streams. Kept apart from them: the console streams stay byte-equal to
// what the console showed.
struct CapturedEvent {
  std::uint64_t t_ns = 0;
  std::string test_id;
  std::string section;  // "stdout", "stderr" or "log", optionally + " " + phase ("stdout call")
  std::string bytes;
  std::uint64_t producer = 0;
  bool operator==(const CapturedEvent&) const = default;
};

enum class TerminalChange : std::uint8_t { Opened = 0, Resized = 1 };

// The command ran on a pseudo-terminal (ctest-record --tty). `opened` comes right after the
// start event and says how: `mode` "pty" (stdin, stdout and stderr all on the pty: the
// output is one stream, recorded as stdout, `merged` true) or "pty-stdout" (stdin and stdout
// on the pty, stderr a pipe of its own). Each window-size change while it ran is a `resized`
// event (mode and term empty), placed between the output before and after the change.
struct TerminalEvent {
  std::uint64_t t_ns = 0;
  TerminalChange change = TerminalChange::Opened;
  std::string mode;  // opened: "pty" or "pty-stdout"
  bool merged = false;
  std::uint16_t rows = 0;  // window size (0 x 0: unknown)
  std::uint16_t cols = 0;
  std::uint16_t xpixel = 0;
  std::uint16_t ypixel = 0;
  std::string term;  // opened: $TERM the command was given ("" unset)
  bool operator==(const TerminalEvent&) const = default;
};

using TraceEvent = std::variant<StartEvent, IoChunk, StreamClosedEvent, NoteEvent, ExitEvent,
                                EndEvent, TestEvent, CapturedEvent, TerminalEvent>;

// On-disk kind tags (stable; never reuse a number).
enum class EventKind : std::uint8_t {
  Start = 1,
  Io = 2,
  StreamClosed = 3,
  Note = 4,
  Exit = 5,
  End = 6,
  Test = 7,
  Captured = 8,
  Terminal = 9,
  // Not an event of its own: the exact-order fields (IoChunk::order, seq, writes, tid) of the
  // io record right before it, in the same frame; decoding attaches them to that IoChunk. Only
  // written for a chunk whose order is not ChunkOrder::Read (docs/trace-format.md).
  IoOrder = 10,
};

// The kind of each TraceEvent alternative is its index + 1; IoOrder (10) is no alternative, so
// an eleventh alternative needs kind 11 and a change to event_kind().
EventKind event_kind(const TraceEvent& event) noexcept;
const char* event_kind_name(EventKind kind) noexcept;  // "start", "io", ...

}  // namespace ctrecord
