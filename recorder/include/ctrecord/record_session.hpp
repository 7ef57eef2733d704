// record_command: the spawn-mode capture session behind `ctest-record`. Starts the command
// with pipes for its standard streams, relays them live to the console and into the trace,
// forwards signals, reaps the child, waits a grace period for descendants that hold the pipes,
// and finishes the trace with the exit status and counters.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ctrecord/output_masker.hpp"
#include "ctrecord/pseudo_terminal.hpp"
#include "ctrecord/recorder_policy.hpp"
#include "ctrecord/std_fds.hpp"
#include "ctrecord/stdin_feeder.hpp"
#include "ctrecord/trace_events.hpp"
#include "ctrecord/trace_writer_host.hpp"

namespace ctrecord {

class TraceFileWriter;

// A window-size change to make during a replay, once the command's output (stdout + stderr
// bytes) has grown to `output_before`, as it had when the change was recorded.
struct ScheduledResize {
  std::uint64_t output_before = 0;
  WindowSize size;
};

struct RecordRequest {
  std::vector<std::string> argv;  // non-empty
  RecorderPolicy policy;
  bool no_stdin = false;  // the command gets /dev/null
  std::chrono::milliseconds grace{3000};
  StdFdState std_fds;  // from guard_std_fds() at start-up

  // Replay uses the same engine with these (defaults: what ctest-record does).
  bool mirror = true;                  // copy the command's output to our fds 1/2
  std::optional<FeedPlan> stdin_feed;  // feed recorded stdin instead of forwarding fd 0
  bool own_process_group = false;      // signals and the timeout reach the whole group
  std::optional<std::chrono::milliseconds> timeout;  // then SIGKILL (the group or tree)
  // ctest-record: contain the command's process tree. The recorder is a child subreaper while
  // the command runs (descendants that daemonise are re-parented to it and reaped when they
  // end); after the command exits it waits up to `grace` for them, then reports those still
  // running (a warning note naming pid and comm) and kills them when `kill_orphans`. The
  // timeout kills every descendant (a /proc walk), not a process group. Replay leaves this off:
  // its own_process_group does that job, and a subreaper would take orphans of other replays.
  bool contain_descendants = false;
  bool kill_orphans = false;
  std::optional<std::vector<std::string>> environment;  // "NAME=VALUE"; default: ours
  std::optional<std::string> cwd;                       // run there
  // Offer the control channel (CTEST_RECORD_CONTROL, docs/control-protocol.md) so test
  // frameworks can mark which test is running. Only when I/O is captured.
  bool control_channel = true;
  TraceWriterHostOptions writer_options;  // compression level, threads, queue bounds
  // Output masking (only when I/O is captured): values of secret-looking variables of the
  // command's environment (kMinSecretBytes or longer) and matches of these patterns become
  // kMask in the trace's stdin, stdout, stderr and captured sections; the console still gets
  // every byte as written. Two notes record it (redaction_note.hpp).
  bool mask_output = true;
  std::vector<std::shared_ptr<const RedactPattern>> redact_patterns;
  // ctest-record --max-trace-size: output bytes the trace keeps (head + tail, output_limit.hpp).
  std::optional<std::uint64_t> max_trace_output;
  // Replay: once stdout + stderr exceed this many bytes, the command (its process group with
  // own_process_group) is killed, reading stops, and the result says so (output_limit_hit).
  std::optional<std::uint64_t> max_output;

  // Run the command on a pseudo-terminal (ctest-record --tty; only when I/O is captured). The
  // command is a session leader with the pty as its controlling terminal; a `terminal` event
  // follows the start event.
  TtyMode tty = TtyMode::None;
  int keyboard_fd = -1;     // a terminal put in raw mode while the command runs (our fd 0)
  int size_source_fd = -1;  // a terminal whose size the pty copies, at start and on SIGWINCH
  std::optional<WindowSize> window_size;  // a fixed size (replay); else size_source_fd's or 24x80
  std::vector<ScheduledResize> resizes;   // replay: the recorded size changes, in order
  // --order=exact (only with I/O captured on pipes: tty None): the command loads `order_shim`
  // (an absolute path, libctrecord_order.so) through LD_PRELOAD, its writes to stdout and
  // stderr are announced in shared memory (CTEST_RECORD_SEQUENCER), and the trace gets the
  // stdout and stderr chunks in the order they were written (ordered_output.hpp).
  OrderMode order = OrderMode::Read;
  std::string order_shim;

  // Whether the stdin being forwarded or fed comes from a terminal (nullopt: isatty(0)). When
  // it does not, its end is passed on as the pty's end-of-file character.
  std::optional<bool> stdin_is_terminal;
};

struct RecordResult {
  int status = 0;  // the command's shell-style status (126/127 if not started)
  bool started = false;
  bool grace_expired = false;
  bool timed_out = false;
  bool output_limit_hit = false;  // max_output was exceeded; the command was killed
  std::size_t orphans = 0;  // contain_descendants: processes still running after the grace period
  int interrupted_by = 0;   // a forwarded signal (SIGINT, SIGTERM, ...) the recorder received
  std::vector<std::string> notes;          // replay-relevant notes (e.g. causal stdin fell back)
  std::optional<std::string> trace_error;  // set when the trace is incomplete
  Counters counters;
};

// Throws EnvironmentError only for failures before the command starts (pipes, signals).
RecordResult record_command(const RecordRequest& request, std::unique_ptr<TraceFileWriter> writer);

}  // namespace ctrecord
