// record_command: spawn-mode capture (POSIX). One poll loop on the calling thread moves bytes
// (child pipes -> console + sink, stdin -> child) and handles signals; one writer thread
// (inside TraceWriterHost) writes the trace.
#include "ctrecord/record_session.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "ctrecord/control_event_recorder.hpp"
#include "ctrecord/control_server.hpp"
#include "ctrecord/errors.hpp"
#include "ctrecord/file_stdin.hpp"
#include "ctrecord/io_event_sink.hpp"
#include "ctrecord/log.hpp"
#include "ctrecord/order_preload.hpp"
#include "ctrecord/order_protocol.hpp"
#include "ctrecord/ordered_output.hpp"
#include "ctrecord/pipes.hpp"
#include "ctrecord/process_tree.hpp"
#include "ctrecord/pseudo_terminal.hpp"
#include "ctrecord/recording_clock.hpp"
#include "ctrecord/redaction_note.hpp"
#include "ctrecord/relay_set.hpp"
#include "ctrecord/signal_routing.hpp"
#include "ctrecord/spawn.hpp"
#include "ctrecord/start_metadata.hpp"
#include "ctrecord/trace_file_writer.hpp"
#include "ctrecord/trace_writer_host.hpp"

extern char** environ;

namespace ctrecord {

namespace {

// Shell status when the command's own could not be collected: the recorder's failure code.
constexpr int kStatusUnknown = 125;
// How long SIGKILLed descendants may take to disappear before they are reported as left.
constexpr std::chrono::milliseconds kKillLimit{2000};
// --order=exact: how soon to look again while the ledger holds bytes (a Pending write may
// finish without any byte arriving to wake us), and at most how long between two looks at
// the ring while the command runs (writes that fail leave slots but no bytes).
constexpr int kOrderHoldPollMs = 2;
constexpr int kOrderRingPollMs = 100;

std::uint64_t timeval_us(const timeval& tv) {
  return static_cast<std::uint64_t>(tv.tv_sec) * 1000000u + static_cast<std::uint64_t>(tv.tv_usec);
}

enum class StdinMode { Forwarded, File, Null, Closed, Inherited, Replayed };

const char* stdin_mode_name(StdinMode mode) {
  switch (mode) {
    case StdinMode::Forwarded: return "forwarded";
    case StdinMode::File: return "file";
    case StdinMode::Null: return "null";
    case StdinMode::Closed: return "closed";
    case StdinMode::Inherited: return "inherited";
    case StdinMode::Replayed: return "replayed";
  }
  return "unknown";
}

StdinMode choose_stdin_mode(const RecordRequest& request) {
  if (!request.policy.io_capture_enabled) return StdinMode::Inherited;
  if (request.stdin_feed) return StdinMode::Replayed;
  if (request.no_stdin) return StdinMode::Null;
  if (request.std_fds.was_closed[0]) return StdinMode::Closed;
  // On a pty the command reads the terminal, so a file is forwarded like any other stream.
  if (is_regular_file(0))
    return request.tty == TtyMode::None ? StdinMode::File : StdinMode::Forwarded;
  return StdinMode::Forwarded;
}

ExitEvent make_exit_event(int wait_status, const rusage& usage, std::uint64_t exit_ns,
                          std::uint64_t spawn_ns) {
  ExitEvent exit;
  exit.t_ns = exit_ns;
  exit.duration_ns = exit_ns - spawn_ns;
  if (WIFEXITED(wait_status)) {
    exit.exited = true;
    exit.code = WEXITSTATUS(wait_status);
    exit.status = exit.code;
  } else if (WIFSIGNALED(wait_status)) {
    exit.signal = WTERMSIG(wait_status);
    exit.core_dumped = WCOREDUMP(wait_status);
    exit.status = 128 + exit.signal;
  }
  exit.max_rss_kib = usage.ru_maxrss;
  exit.user_cpu_us = timeval_us(usage.ru_utime);
  exit.sys_cpu_us = timeval_us(usage.ru_stime);
  return exit;
}

// `env` ("NAME=VALUE" entries) with `name` set to `value` (replacing any earlier value).
void set_variable(std::vector<std::string>& env, const std::string& name,
                  const std::string& value) {
  const std::string prefix = name + "=";
  std::erase_if(env, [&](const std::string& entry) { return entry.starts_with(prefix); });
  env.push_back(prefix + value);
}

// An environment as "NAME=VALUE" entries (null: ours).
std::vector<std::string> environment_entries(const std::vector<std::string>* env) {
  if (env != nullptr) return *env;
  std::vector<std::string> entries;
  for (char** e = environ; *e != nullptr; ++e) entries.emplace_back(*e);
  return entries;
}

// The value of `name` in an environment ("NAME=VALUE" entries; null: ours), "" when unset.
std::string variable_of(const std::vector<std::string>* env, const std::string& name) {
  if (env == nullptr) {
    const char* value = std::getenv(name.c_str());
    return value ? value : "";
  }
  const std::string prefix = name + "=";
  for (const auto& entry : *env) {
    if (entry.starts_with(prefix)) return entry.substr(prefix.size());
  }
  return "";
}

// The pty's end-of-file character while it is in canonical mode ("" otherwise).
std::string eof_character(int master_fd) {
  termios settings{};
  if (::tcgetattr(master_fd, &settings) != 0 || (settings.c_lflag & ICANON) == 0) return "";
  return std::string(1, static_cast<char>(settings.c_cc[VEOF]));
}

std::string spawn_error_text(int err) {
  if (err == ENOENT) return "command not found";
  return std::strerror(err);
}

// Everything alive while the child runs.
class SpawnCapture {
 public:
  SpawnCapture(const RecordRequest& request, IoEventSink& sink, SignalRouting& signals)
      : request_(request), sink_(sink), signals_(signals) {}

  RecordResult run() {
    RecordResult result;
    // A relative path with a '/' is relative to where the command runs (cwd must be absolute).
    std::string name = request_.argv[0];
    if (request_.cwd && name.find('/') != std::string::npos && name.front() != '/') {
      name = *request_.cwd + "/" + name;
    }
    const ResolvedCommand command = resolve_command(name, std::getenv("PATH"));
    const StdinMode stdin_mode = choose_stdin_mode(request_);
    StartEvent start = collect_start_metadata(request_.argv, command.path, request_.policy,
                                              stdin_mode_name(stdin_mode), request_.std_fds.isatty);
    start.capture_mode = "spawn";

    ChildSpec spec;
    spec.argv = request_.argv;
    spec.executable = command.path;
    spec.sigmask = signals_.inherited_mask();
    spec.default_signals = signals_.signals_to_default_in_child();
    spec.own_process_group = request_.own_process_group;
    if (request_.environment) spec.environment = &*request_.environment;
    if (request_.cwd) spec.cwd = *request_.cwd;
    // The command's environment once we add to it: the request's (or ours) changed.
    std::optional<std::vector<std::string>> child_env;
    const auto set_child_variable = [&](const std::string& variable, const std::string& value) {
      if (!child_env) child_env = environment_entries(spec.environment);
      set_variable(*child_env, variable, value);
      spec.environment = &*child_env;
    };
    if (request_.control_channel && request_.policy.io_capture_enabled) {
      control_.emplace();
      set_child_variable(control::kEnvVar, control_->env_value());
      spec.inherit_fds.push_back(control_->child_end());
    }
    Pipe out_pipe, err_pipe, in_pipe;
    UniqueFd dev_null;
    std::optional<FileStdin> file_stdin;
    const bool capture = request_.policy.io_capture_enabled;
    const TtyMode tty = capture ? request_.tty : TtyMode::None;
    const bool exact = capture && request_.order == OrderMode::Exact;
    if (exact && tty != TtyMode::None) {
      throw UsageError(
          "--order=exact needs pipes for stdout and stderr, not a terminal: use "
          "--tty=never (or auto), or --order=read");
    }
    for (int i = 0; i < 3; ++i) {
      spec.stdio[static_cast<std::size_t>(i)] =
          request_.std_fds.was_closed[static_cast<std::size_t>(i)] ? kCloseInChild : i;
    }
    if (tty != TtyMode::None) {
      window_size_ = request_.window_size
                         ? *request_.window_size
                         : window_size_of(request_.size_source_fd).value_or(kDefaultWindowSize);
      pty_.emplace(open_pty(window_size_));
      spec.controlling_terminal = pty_->slave_path;
      spec.on_terminal = {true, true, tty == TtyMode::Merged};
      if (tty == TtyMode::StdoutOnly) {
        err_pipe = make_pipe();
        spec.stdio[2] = err_pipe.write.get();
      }
      if (!request_.window_size && request_.size_source_fd >= 0) signals_.watch_window_changes();
    } else if (capture) {
      out_pipe = make_pipe();
      err_pipe = make_pipe();
      spec.stdio[1] = out_pipe.write.get();
      spec.stdio[2] = err_pipe.write.get();
      if (exact) {
        const std::string preload =
            preload_with(variable_of(spec.environment, "LD_PRELOAD"), request_.order_shim);
        order_.emplace(out_pipe.write.get(), err_pipe.write.get(), sink_);
        spec.inherit_fds.push_back(order_->channel().child_fd());
        set_child_variable("LD_PRELOAD", preload);
        set_child_variable(order::kEnvVar, order_->channel().env_value());
      }
      switch (stdin_mode) {
        case StdinMode::Forwarded:
        case StdinMode::Replayed:
          in_pipe = make_pipe();
          set_nonblocking(in_pipe.write.get());
          spec.stdio[0] = in_pipe.read.get();
          break;
        case StdinMode::Null:
          dev_null.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
          if (!dev_null) throw EnvironmentError("open", "/dev/null", errno);
          spec.stdio[0] = dev_null.get();
          break;
        case StdinMode::File: file_stdin.emplace(0); break;
        case StdinMode::Closed:
        case StdinMode::Inherited: break;
      }
    }

    // Before the spawn: a descendant may daemonise at once.
    if (request_.contain_descendants) subreaper_.emplace();
    const std::uint64_t spawn_ns = sink_.clock().now_ns();
    const pid_t pid = command.path.empty() ? -command.error : spawn_child(spec);
    if (pid < 0) {
      const int err = -pid;
      result.status = spawn_failure_status(err);
      sink_.post(std::move(start));
      const std::string message = "cannot run '" + request_.argv[0] + "': " + spawn_error_text(err);
      sink_.note(NoteLevel::Error, message);
      ExitEvent exit;
      exit.t_ns = sink_.clock().now_ns();
      exit.status = result.status;
      exit.spawn_error = spawn_error_text(err);
      sink_.post(std::move(exit));
      return result;
    }
    result.started = true;
    child_ = pid;
    // On a pty of its own the command no longer shares our terminal: the terminal's signals
    // (a hang-up) reach it only through us.
    signals_.set_child(pid, request_.own_process_group, tty != TtyMode::None);
    if (request_.timeout) timeout_at_ = std::chrono::steady_clock::now() + *request_.timeout;
    start.child_pid = pid;
    sink_.post(std::move(start));
    if (tty != TtyMode::None) {
      TerminalEvent opened;
      opened.t_ns = sink_.clock().now_ns();
      opened.change = TerminalChange::Opened;
      opened.mode = tty_mode_name(tty);
      opened.merged = tty == TtyMode::Merged;
      opened.rows = window_size_.rows;
      opened.cols = window_size_.cols;
      opened.xpixel = window_size_.xpixel;
      opened.ypixel = window_size_.ypixel;
      opened.term = variable_of(spec.environment, "TERM");
      sink_.post(std::move(opened));
    }
    if (!capture) {
      sink_.note(NoteLevel::Info, "I/O capture is off (" + request_.policy.io_capture_source +
                                      "); the trace holds metadata and the exit status only");
    }
    note_env_recording();
    if (exact) {
      sink_.post(NoteEvent{sink_.clock().now_ns(), NoteLevel::Info,
                           "order: exact (LD_PRELOAD " + request_.order_shim + ")"});
    } else if (request_.order == OrderMode::Exact) {
      sink_.note(NoteLevel::Info, "--order=exact has no effect: I/O capture is off (" +
                                      request_.policy.io_capture_source + ")");
    }
    if (capture && request_.mask_output) start_masking(spec.environment);

    // The child has its ends now; keep only ours.
    dev_null.reset();
    if (control_) control_->close_child_end();
    if (tty != TtyMode::None) {
      err_pipe.write.reset();
      start_pty_relays(tty, stdin_mode, std::move(err_pipe.read), pid);
    } else if (capture) {
      out_pipe.write.reset();
      err_pipe.write.reset();
      in_pipe.read.reset();
      for (Pipe* p : {&out_pipe, &err_pipe}) {
        set_nonblocking(p->read.get());
        grow_pipe(p->read.get());
      }
      const bool mirror_out = request_.mirror && !request_.std_fds.was_closed[1];
      const bool mirror_err = request_.mirror && !request_.std_fds.was_closed[2];
      relays_.add_output(
          OutputRelay(Stream::Stdout, std::move(out_pipe.read), mirror_out ? 1 : -1, sink_, pid));
      relays_.add_output(
          OutputRelay(Stream::Stderr, std::move(err_pipe.read), mirror_err ? 2 : -1, sink_, pid));
      if (order_) relays_.route_outputs(&*order_);
      if (stdin_mode == StdinMode::Forwarded) {
        relays_.set_stdin(StdinRelay(0, std::move(in_pipe.write), sink_));
      }
      if (stdin_mode == StdinMode::Replayed) {
        // The feeder thread writes recorded stdin into a pipe; the usual relay moves it to
        // the command (recording it as the new run's stdin).
        Pipe feed = make_pipe();
        feed_read_ = std::move(feed.read);
        relays_.set_stdin(StdinRelay(feed_read_.get(), std::move(in_pipe.write), sink_));
        feeder_.emplace(*request_.stdin_feed, std::move(feed.write),
                        [this] { return sink_.output_bytes(); });
      }
    }

    try {
      loop();
      if (keyboard_) keyboard_->restore();
      if (order_) order_->finish();
    } catch (const std::exception& e) {
      if (keyboard_) keyboard_->restore();
      abandon_child(e.what());
      finish_order_after_failure();
      sink_.post(make_exit_event(wait_status_, usage_, exit_ns_, spawn_ns));
      throw;
    }
    result.grace_expired = grace_expired_;
    result.timed_out = timed_out_;
    result.output_limit_hit = output_limit_hit_;
    result.interrupted_by = received_signal_;
    if (request_.contain_descendants && !status_unknown_) result.orphans = handle_orphans();
    if (request_.own_process_group) {
      // Replays clean up after themselves: whatever the command left running in its group
      // (the group id cannot be reused while any member lives).
      ::kill(-pid, SIGKILL);
    }
    if (feeder_) {
      feed_read_.reset();  // a feeder blocked on a full pipe gets EPIPE
      stdin_source_.reset();
      feeder_->stop();
      feeder_->join();
      if (!feeder_->fallback_note().empty()) {
        sink_.note(NoteLevel::Warning, feeder_->fallback_note());
        result.notes.push_back(feeder_->fallback_note());
      }
    }
    if (file_stdin) file_stdin->record_consumed(sink_);
    if (masking_) {
      sink_.flush_masked();
      sink_.post(NoteEvent{sink_.clock().now_ns(), NoteLevel::Info,
                           redaction_summary_note(sink_.mask_counts(), secret_values_)});
    }
    ExitEvent exit = make_exit_event(wait_status_, usage_, exit_ns_, spawn_ns);
    if (status_unknown_) exit.status = kStatusUnknown;
    result.status = exit.status;
    sink_.post(std::move(exit));
    return result;
  }

 private:
  // The loop failed: what the ledger holds still goes into the trace, if it can.
  void finish_order_after_failure() noexcept {
    if (!order_) return;
    try {
      order_->finish();
    } catch (const std::exception& e) {
      log::error("exact order: cannot record the output still held: {}", e.what());
    }
  }

  // --record-env all/none: the trace says how its environment was recorded (all: on stderr too).
  void note_env_recording() {
    const EnvRecording mode = request_.policy.env_recording;
    if (mode == EnvRecording::All) {
      sink_.note(NoteLevel::Warning,
                 "the environment is recorded with every value (record-env all): secret-looking "
                 "ones too; keep this trace private");
    } else if (mode == EnvRecording::None) {
      sink_.post(NoteEvent{sink_.clock().now_ns(), NoteLevel::Info,
                           "the environment is not recorded (record-env none): only the "
                           "formatting variables a replay restores (TERM, COLUMNS, LINES, LANG, "
                           "LANGUAGE, LC_*, TZ, PYTHONHASHSEED, NO_COLOR, FORCE_COLOR)"});
    }
  }

  // Output masking from here on, with the secrets of the command's environment.
  void start_masking(const std::vector<std::string>* environment) {
    auto rules = std::make_shared<MaskRules>();
    rules->secrets = secret_values_of(environment_entries(environment));
    rules->patterns = request_.redact_patterns;
    secret_values_ = rules->secrets.size();
    std::vector<std::string> patterns;
    for (const auto& pattern : rules->patterns) patterns.push_back(pattern->text());
    sink_.post(NoteEvent{sink_.clock().now_ns(), NoteLevel::Info,
                         redaction_start_note(secret_values_, patterns)});
    sink_.enable_masking(std::move(rules));
    masking_ = true;
  }

  // The command is on a pty: its output (and stderr's pipe in StdoutOnly mode) to the relays,
  // and whatever stdin there is into the pty.
  void start_pty_relays(TtyMode tty, StdinMode stdin_mode, UniqueFd err_read, pid_t pid) {
    pty_->slave.reset();  // the command has its own now; EIO on the master means it is gone
    const auto master_copy = [this] {
      UniqueFd fd(::fcntl(pty_->master.get(), F_DUPFD_CLOEXEC, 3));
      if (!fd) throw EnvironmentError("dup", pty_->slave_path, errno);
      return fd;
    };
    const bool mirror_out = request_.mirror && !request_.std_fds.was_closed[1];
    const bool mirror_err = request_.mirror && !request_.std_fds.was_closed[2];
    OutputRelay out(Stream::Stdout, master_copy(), mirror_out ? 1 : -1, sink_, pid);
    out.treat_eio_as_eof();
    relays_.add_output(std::move(out));
    if (tty == TtyMode::StdoutOnly) {
      set_nonblocking(err_read.get());
      grow_pipe(err_read.get());
      relays_.add_output(
          OutputRelay(Stream::Stderr, std::move(err_read), mirror_err ? 2 : -1, sink_, pid));
    }
    bool from_terminal = request_.stdin_is_terminal.value_or(::isatty(0) == 1);
    int source = -1;
    switch (stdin_mode) {
      case StdinMode::Forwarded: source = 0; break;
      case StdinMode::Replayed: {
        Pipe feed = make_pipe();
        stdin_source_ = std::move(feed.read);
        source = stdin_source_.get();
        feeder_.emplace(*request_.stdin_feed, std::move(feed.write),
                        [this] { return sink_.output_bytes(); });
        break;
      }
      case StdinMode::Null:
      case StdinMode::Closed:
      case StdinMode::File:
      case StdinMode::Inherited:
        // Nothing to type: the command reads the end of input at once, as from /dev/null.
        stdin_source_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        if (!stdin_source_) throw EnvironmentError("open", "/dev/null", errno);
        source = stdin_source_.get();
        from_terminal = false;
        break;
    }
    apply_due_resizes();
    StdinRelay relay(source, master_copy(), sink_);
    if (!from_terminal) relay.set_eof_bytes(eof_character(pty_->master.get()));
    relays_.set_stdin(std::move(relay));
    if (stdin_mode == StdinMode::Forwarded && request_.keyboard_fd >= 0) {
      keyboard_.emplace(request_.keyboard_fd);
    }
  }

  // SIGWINCH: the recorder's terminal changed size; the command's pty follows, and the trace
  // says so between the output read before and after.
  void copy_window_size() {
    const auto size = window_size_of(request_.size_source_fd);
    if (!size || *size == window_size_) return;
    relays_.drain_present();
    resize_pty(*size);
  }

  // Replay: each recorded size change once the output has caught up with where it happened.
  void apply_due_resizes() {
    while (next_resize_ < request_.resizes.size() &&
           sink_.output_bytes() >= request_.resizes[next_resize_].output_before) {
      resize_pty(request_.resizes[next_resize_++].size);
    }
  }

  void resize_pty(const WindowSize& size) {
    window_size_ = size;
    if (const int err = set_window_size(pty_->master.get(), size)) {
      sink_.note(NoteLevel::Warning,
                 std::string("cannot resize the command's terminal: ") + std::strerror(err));
      return;
    }
    TerminalEvent resized;
    resized.t_ns = sink_.clock().now_ns();
    resized.change = TerminalChange::Resized;
    resized.rows = size.rows;
    resized.cols = size.cols;
    resized.xpixel = size.xpixel;
    resized.ypixel = size.ypixel;
    sink_.post(std::move(resized));
  }

  void loop() {
    std::vector<pollfd> fds;
    for (;;) {
      if (!child_running_ && !relays_.outputs_open() && !descendants_running()) return;
      int timeout_ms = -1;
      if (child_running_ && timeout_at_) {
        const auto left = *timeout_at_ - std::chrono::steady_clock::now();
        if (left <= std::chrono::steady_clock::duration::zero()) {
          kill_on_timeout();
          continue;
        }
        timeout_ms = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
      }
      if (!child_running_) {
        const auto left = grace_deadline_ - std::chrono::steady_clock::now();
        if (left <= std::chrono::steady_clock::duration::zero()) {
          stop_reading("grace-expired");
          return;
        }
        timeout_ms = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
      }
      if (order_) {
        const int look = order_->holding() ? kOrderHoldPollMs
                         : child_running_  ? kOrderRingPollMs
                                           : -1;
        if (look >= 0) timeout_ms = timeout_ms < 0 ? look : std::min(timeout_ms, look);
      }
      fds.clear();
      fds.push_back({signals_.sigchld_fd(), POLLIN, 0});
      fds.push_back({signals_.wake_fd(), POLLIN, 0});
      relays_.add_pollfds(fds);
      if (control_) control_->add_pollfds(fds);
      const int ready = ::poll(fds.data(), fds.size(), timeout_ms);
      if (ready < 0) {
        if (errno == EINTR) continue;
        throw EnvironmentError("poll", "", errno);
      }
      if (fds[0].revents) {
        signals_.drain_sigchld();
        reap();
      }
      if (fds[1].revents) {
        // Forwarding already happened in the signal handler. Once the command has exited,
        // a signal to the recorder means: stop waiting for its descendants now.
        const int sig = signals_.take_received_signal();
        if (sig != 0) received_signal_ = sig;
        if (pty_ && signals_.take_window_change()) copy_window_size();
        if (sig != 0 && !child_running_ && (relays_.outputs_open() || descendants_running())) {
          stopped_by_signal_ = sig;
          stop_reading("signal");
          return;
        }
      }
      relays_.dispatch(fds);
      if (order_) order_->step();  // after the reads: their slots are in the ring by now
      if (request_.max_output && !output_limit_hit_ &&
          sink_.output_bytes() > *request_.max_output) {
        kill_on_output_limit();
        continue;  // until the command is reaped
      }
      if (control_) control_->dispatch(fds, control_events_);
      if (pty_) apply_due_resizes();
    }
  }

  void reap() {
    if (child_running_) reap_command();
    // Descendants re-parented to us (the subreaper) that ended: no zombie is left behind.
    if (request_.contain_descendants) reap_children_except(child_running_ ? child_ : 0);
  }

  // After the command: whether processes it started still run (and so the grace period is
  // waited out for them, as for pipes they hold). Only we can end them as our children.
  bool descendants_running() const {
    return request_.contain_descendants && !status_unknown_ && has_other_children(0);
  }

  // The command has exited and the grace period is over (or nothing held it open): report
  // the processes it left running, and kill them with kill_orphans.
  std::size_t handle_orphans() {
    reap_children_except(0);
    const std::vector<ProcessInfo> orphans = live_descendants(::getpid());
    if (orphans.empty()) return 0;
    const std::string what = fmt::format(
        "the command exited, but {} {} it started {} still running after the grace period: {}",
        orphans.size(), orphans.size() == 1 ? "process" : "processes",
        orphans.size() == 1 ? "is" : "are", describe_processes(orphans));
    if (!request_.kill_orphans) {
      sink_.note(NoteLevel::Warning, what + "; left running (--kill-orphans kills them)");
      return orphans.size();
    }
    std::vector<ProcessInfo> left;
    const auto killed = kill_descendants(0, kKillLimit, &left);
    sink_.note(NoteLevel::Warning,
               what + fmt::format("; killed {} (--kill-orphans)", describe_processes(killed)));
    if (!left.empty()) {
      sink_.note(NoteLevel::Error, "still running after SIGKILL: " + describe_processes(left));
    }
    return orphans.size();
  }

  void reap_command() {
    // Peek first (WNOWAIT): stop forwarding signals to the pid before it is freed for reuse.
    siginfo_t info{};
    int r;
    do {
      r = ::waitid(P_PID, static_cast<id_t>(child_), &info, WEXITED | WNOHANG | WNOWAIT);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
      const int err = errno;
      child_running_ = false;
      signals_.set_child(0);
      status_unknown_ = true;
      exit_ns_ = sink_.clock().now_ns();
      grace_deadline_ = std::chrono::steady_clock::now() + request_.grace;
      sink_.note(NoteLevel::Error,
                 std::string("cannot collect the command's exit status (waitid: ") +
                     std::strerror(err) + ")");
      relays_.stop_stdin("child-exited");
      return;
    }
    if (info.si_pid != child_) return;  // still running (a stop or continue notification)
    signals_.set_child(0);
    int status = 0;
    rusage usage{};
    while (::wait4(child_, &status, 0, &usage) < 0 && errno == EINTR) {
    }
    child_running_ = false;
    wait_status_ = status;
    usage_ = usage;
    exit_ns_ = sink_.clock().now_ns();
    grace_deadline_ = std::chrono::steady_clock::now() + request_.grace;
    relays_.stop_stdin("child-exited");
  }

  void kill_on_timeout() {
    timeout_at_.reset();
    timed_out_ = true;
    const double seconds = static_cast<double>(request_.timeout->count()) / 1000.0;
    if (request_.contain_descendants) {
      // The command shares our process group (pipes) or leads its own session (pty): either
      // way its tree is what the /proc walk finds under us, re-parented daemons included.
      if (pty_) ::kill(-child_, SIGKILL);
      const auto killed = kill_descendants(child_, kKillLimit);
      sink_.note(NoteLevel::Warning,
                 fmt::format("timed out after {:.1f} s; killed the command and the processes it "
                             "started: {}",
                             seconds, describe_processes(killed)));
      return;
    }
    const pid_t target = request_.own_process_group ? -child_ : child_;
    sink_.note(NoteLevel::Warning,
               fmt::format("timed out after {:.1f} s; killed the command{}", seconds,
                           request_.own_process_group ? " and its process group" : ""));
    ::kill(target, SIGKILL);
  }

  // Replay: the command wrote more than max_output. Kill it (its group) and stop reading now:
  // a flood would otherwise fill memory faster than the kill takes effect.
  void kill_on_output_limit() {
    output_limit_hit_ = true;
    const pid_t target = request_.own_process_group ? -child_ : child_;
    if (child_running_) ::kill(target, SIGKILL);
    sink_.note(NoteLevel::Warning,
               fmt::format("the output grew beyond {} bytes (stdout + stderr); killed the "
                           "command{} and stopped reading",
                           *request_.max_output,
                           request_.own_process_group ? " and its process group" : ""));
    relays_.close_outputs("output-limit");
  }

  // Takes whatever is already in the pipes, then stops reading the ones still held open by
  // processes the command left behind.
  void stop_reading(const std::string& reason) {
    relays_.drain_outputs();
    if (!relays_.outputs_open()) return;
    grace_expired_ = true;
    const double seconds = static_cast<double>(request_.grace.count()) / 1000.0;
    const std::string why =
        reason == "signal"
            ? fmt::format("stopped on signal {} while waiting", stopped_by_signal_)
            : fmt::format("stopped reading after the grace period of {:.1f} s (--grace)", seconds);
    sink_.note(NoteLevel::Warning,
               "the command exited, but a process it started still holds its stdout/stderr "
               "open; " +
                   why);
    relays_.close_outputs(reason);
  }

  // A failure of the loop itself (not of the command): do not leave the command running
  // unsupervised. Kill and reap it, and record what happened.
  void abandon_child(const std::string& what) {
    if (child_running_) {
      signals_.set_child(0);
      ::kill(child_, SIGKILL);
      int status = 0;
      while (::wait4(child_, &status, 0, &usage_) < 0 && errno == EINTR) {
      }
      child_running_ = false;
      wait_status_ = status;
      exit_ns_ = sink_.clock().now_ns();
    }
    if (request_.contain_descendants) kill_descendants(0, kKillLimit);
    sink_.note(NoteLevel::Error, "recording failed (" + what + "); the command was killed");
  }

  const RecordRequest& request_;
  IoEventSink& sink_;
  SignalRouting& signals_;
  // --order=exact. Declared before the relays, which point to it (route_outputs), so it
  // outlives them.
  std::optional<OrderedOutput> order_;
  RelaySet relays_;
  std::optional<ControlServer> control_;
  // A test event comes after everything its test wrote: read it, then emit what is in order.
  ControlEventRecorder control_events_{sink_, [this] {
                                         relays_.drain_present();
                                         if (order_) order_->step();
                                       }};
  pid_t child_ = -1;
  bool child_running_ = true;
  int wait_status_ = 0;
  rusage usage_{};
  std::uint64_t exit_ns_ = 0;
  std::chrono::steady_clock::time_point grace_deadline_{};
  bool grace_expired_ = false;
  bool status_unknown_ = false;
  bool timed_out_ = false;
  bool output_limit_hit_ = false;
  std::optional<std::chrono::steady_clock::time_point> timeout_at_;
  // Declared before feed_read_, so it is destroyed after it: closing the feed pipe first
  // unblocks a feeder stuck on a full pipe before its thread is joined.
  std::optional<StdinFeeder> feeder_;
  UniqueFd feed_read_;
  UniqueFd stdin_source_;  // pty mode: the feed pipe's read end, or /dev/null
  std::optional<PtyPair> pty_;
  WindowSize window_size_{};
  std::size_t next_resize_ = 0;
  std::optional<TerminalModeGuard> keyboard_;
  std::optional<SubreaperScope> subreaper_;
  int received_signal_ = 0;
  int stopped_by_signal_ = 0;
  bool masking_ = false;
  std::size_t secret_values_ = 0;
};

}  // namespace

RecordResult record_command(const RecordRequest& request, std::unique_ptr<TraceFileWriter> writer) {
  if (request.argv.empty()) throw UsageError("no command given");
  SignalRouting signals;  // before the writer thread starts, so it inherits the mask
  RecordingClock clock;
  TraceWriterHost host(std::move(writer), request.writer_options);
  IoEventSink sink(host, clock);
  if (request.max_trace_output) sink.limit_output(*request.max_trace_output);
  RecordResult result = SpawnCapture(request, sink, signals).run();
  result.trace_error = host.finish([&](const TraceWriterStats&) {
    EndEvent end;
    end.t_ns = clock.now_ns();
    end.counters = sink.counters();
    return end;
  });
  result.counters = sink.counters();
  return result;
}

}  // namespace ctrecord
