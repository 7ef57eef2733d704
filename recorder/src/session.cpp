// Session: in-process capture of this process's own fds 0/1/2 (POSIX back end). start()
// swaps pipes in with dup2 and starts one relay thread (poll loop over a RelaySet and a
// control eventfd); stop() restores the descriptors, drains with a timeout, joins and finishes
// the trace. set_context() is a barrier through the same control eventfd. The Session front
// (one active session, hooks, set_context) is session_front.cpp.
#include "ctrecord/session.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <thread>

#include "ctrecord/errors.hpp"
#include "ctrecord/file_stdin.hpp"
#include "ctrecord/io_event_sink.hpp"
#include "ctrecord/log.hpp"
#include "ctrecord/pipes.hpp"
#include "ctrecord/recorder_policy.hpp"
#include "ctrecord/recording_clock.hpp"
#include "ctrecord/relay_set.hpp"
#include "ctrecord/start_metadata.hpp"
#include "ctrecord/thread_snapshot_store.hpp"
#include "ctrecord/trace_file_writer.hpp"
#include "ctrecord/trace_output.hpp"
#include "ctrecord/trace_writer_host.hpp"
#include "session_capture.hpp"

namespace ctrecord {

namespace {

constexpr auto kBarrierTimeout = std::chrono::seconds(5);

std::vector<std::string> own_command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> argv;
  std::size_t start = 0;
  while (start < all.size()) {
    const std::size_t end = all.find('\0', start);
    argv.push_back(all.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return argv;
}

std::string own_executable() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

void poke(int fd) noexcept {
  const std::uint64_t one = 1;
  (void)!::write(fd, &one, sizeof one);
}

// One capture of this process's standard descriptors.
class InProcessCapture final : public SessionCapture {
 public:
  explicit InProcessCapture(SessionOptions options)
      : options_(std::move(options)), policy_(session_policy(options_)) {}
  ~InProcessCapture() {
    if (thread_.joinable()) abort_start();  // never destroy a running thread
  }
  InProcessCapture(const InProcessCapture&) = delete;
  InProcessCapture& operator=(const InProcessCapture&) = delete;

  // Either fully started, or everything undone and the error rethrown.
  void start() override {
    try {
      start_steps();
    } catch (...) {
      abort_start();
      throw;
    }
  }

  StopReport stop() override {
    StopReport report;
    flush_std_streams();
    if (capturing_) {
      restore_fds();
      log::set_output_fd(previous_log_fd_);
      request_stop();
      thread_.join();
      capturing_ = false;
      report.stdin_unconsumed_bytes = account_unconsumed_stdin();
      report.held_open = held_open_;
      if (!held_open_.empty()) {
        std::string names;
        for (Stream s : held_open_)
          names += (names.empty() ? "" : " and ") + std::string(stream_name(s));
        sink_->note(NoteLevel::Warning,
                    fmt::format("stop: {} still held open by another process (a forked child?) "
                                "after the drain timeout of {} ms; stopped reading it",
                                names, options_.drain_timeout.count()));
      }
    }
    if (file_stdin_) file_stdin_->record_consumed(*sink_);
    for (auto& saved : saved_) saved.copy.reset();
    report.trace_error = finish_trace();
    report.counters = sink_->counters();
    return report;
  }

  // set_context() while this capture is active: called with the global session mutex held.
  void context_changed(const std::string& context) override {
    if (!capturing_) return;
    std::unique_lock lock(mutex_);
    const std::uint64_t ticket = ++barrier_requested_;
    pending_context_ = context;
    poke(control_.get());
    if (!cv_.wait_for(lock, kBarrierTimeout, [&] { return barrier_done_ >= ticket; })) {
      log::warning(
          "set_context(\"{}\"): the capture thread did not catch up within {} s (a "
          "stalled console?); output around the switch may carry the wrong context",
          context, kBarrierTimeout.count());
    }
  }

  const std::string& trace_path() const noexcept override { return options_.trace_path; }

 private:
  struct SavedFd {
    bool was_open = false;
    int fd_flags = 0;  // FD_CLOEXEC as it was
    UniqueFd copy;     // F_DUPFD_CLOEXEC copy of the original (same open file)
    bool replaced = false;
  };

  void start_steps() {
    host_ = std::make_unique<TraceWriterHost>(std::make_unique<TraceFileWriter>(
        above_std_fds(create_trace_file(options_.trace_path, false)), options_.trace_path));
    sink_ = std::make_unique<IoEventSink>(*host_, clock_);

    std::array<bool, 3> isatty{};
    for (int fd = 0; fd < 3; ++fd) isatty[static_cast<std::size_t>(fd)] = ::isatty(fd) == 1;
    const bool capture = policy_.io_capture_enabled;
    std::string stdin_mode = "inherited";
    if (capture && options_.capture_stdin) {
      if (::fcntl(0, F_GETFD) == -1) {
        stdin_mode = "closed";
      } else {
        stdin_mode = is_regular_file(0) ? "file" : "forwarded";
      }
    }
    StartEvent start =
        collect_start_metadata(options_.argv.empty() ? own_command_line() : options_.argv,
                               own_executable(), policy_, stdin_mode, isatty);
    start.capture_mode = "in-process";
    sink_->post(std::move(start));
    if (!capture) {
      sink_->note(NoteLevel::Info, "I/O capture is off (" + policy_.io_capture_source +
                                       "); the trace holds metadata only");
      return;
    }

    flush_std_streams();  // what was written before start goes to the console, not the trace
    sink_->set_context(ThreadSnapshotStore::global().latest());
    control_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!control_) throw EnvironmentError("eventfd", "", errno);
    control_ = above_std_fds(std::move(control_));
    capture_output(1, Stream::Stdout);
    capture_output(2, Stream::Stderr);
    if (stdin_mode == "forwarded") capture_forwarded_stdin();
    if (stdin_mode == "file") file_stdin_.emplace(0);

    thread_ = std::thread([this] { run_loop(); });
    capturing_ = true;
    previous_log_fd_ = log::output_fd();
    // Our own messages go to the real stderr; if there is none, nowhere (fd 2 is a capture
    // pipe now, and a log line must never become program output).
    log::set_output_fd(saved_[2].copy ? saved_[2].copy.get() : -1);
  }

  SavedFd& save(int fd) {
    SavedFd& saved = saved_[static_cast<std::size_t>(fd)];
    saved.fd_flags = ::fcntl(fd, F_GETFD);
    saved.was_open = saved.fd_flags != -1;
    if (saved.was_open) {
      saved.copy.reset(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
      if (!saved.copy)
        throw EnvironmentError("fcntl(F_DUPFD_CLOEXEC)", "fd " + std::to_string(fd), errno);
    }
    return saved;
  }

  void install(int fd, SavedFd& saved, int pipe_end) {
    if (::dup2(pipe_end, fd) < 0) throw EnvironmentError("dup2", "fd " + std::to_string(fd), errno);
    saved.replaced = true;
    if (saved.was_open && (saved.fd_flags & FD_CLOEXEC)) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  }

  void capture_output(int fd, Stream stream) {
    SavedFd& saved = save(fd);
    Pipe pipe = make_pipe();
    set_nonblocking(pipe.read.get());
    grow_pipe(pipe.read.get());
    install(fd, saved, pipe.write.get());
    relays_.add_output(OutputRelay(stream, std::move(pipe.read),
                                   saved.was_open ? saved.copy.get() : -1, *sink_,
                                   static_cast<std::uint64_t>(::getpid())));
  }

  void capture_forwarded_stdin() {
    SavedFd& saved = save(0);
    Pipe pipe = make_pipe();
    set_nonblocking(pipe.write.get());  // our end only; fd 0 (the read end) stays blocking
    install(0, saved, pipe.read.get());
    stdin_pipe_copy_ = std::move(pipe.read);  // to count what the program never read
    relays_.set_stdin(StdinRelay(saved.copy.get(), std::move(pipe.write), *sink_));
  }

  // Puts back what was there: the same open files with the same FD_CLOEXEC bits; descriptors
  // that were closed are closed again. Status flags live in the open file, which we never
  // touched (our non-blocking flags are on the pipes).
  void restore_fds() noexcept {
    for (int fd = 0; fd < 3; ++fd) {
      SavedFd& saved = saved_[static_cast<std::size_t>(fd)];
      if (!saved.replaced) continue;
      if (saved.was_open) {
        ::dup2(saved.copy.get(), fd);
        ::fcntl(fd, F_SETFD, saved.fd_flags);
      } else {
        ::close(fd);
      }
      saved.replaced = false;
    }
  }

  void request_stop() {
    {
      std::lock_guard lock(mutex_);
      stop_requested_ = true;
    }
    poke(control_.get());
  }

  // Relay thread: owns the relays until it returns.
  void run_loop() {
    std::vector<pollfd> fds;
    bool stopping = false;
    std::chrono::steady_clock::time_point deadline{};
    for (;;) {
      int timeout_ms = -1;
      if (stopping) {
        if (!relays_.outputs_open()) return;
        const auto left = deadline - std::chrono::steady_clock::now();
        if (left <= std::chrono::steady_clock::duration::zero()) {
          relays_.drain_outputs();
          held_open_ = relays_.open_outputs();
          relays_.close_outputs("drain-timeout");
          return;
        }
        timeout_ms = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
      }
      fds.clear();
      fds.push_back({control_.get(), POLLIN, 0});
      relays_.add_pollfds(fds);
      if (::poll(fds.data(), fds.size(), timeout_ms) < 0) {
        if (errno == EINTR) continue;
        sink_->note(NoteLevel::Error, std::string("capture thread: poll: ") + std::strerror(errno));
        held_open_ = relays_.open_outputs();
        relays_.close_outputs("poll-error");
        return;
      }
      if (fds[0].revents) {
        std::uint64_t count = 0;
        (void)!::read(control_.get(), &count, sizeof count);
        handle_requests(stopping, deadline);
      }
      relays_.dispatch(fds);
    }
  }

  void handle_requests(bool& stopping, std::chrono::steady_clock::time_point& deadline) {
    std::unique_lock lock(mutex_);
    if (barrier_done_ != barrier_requested_) {
      const std::uint64_t target = barrier_requested_;
      std::string context = pending_context_;
      lock.unlock();
      relays_.drain_outputs();  // written before the switch: stamped with the old context
      sink_->set_context(std::move(context));
      lock.lock();
      barrier_done_ = target;
      cv_.notify_all();
    }
    if (stop_requested_ && !stopping) {
      stopping = true;
      deadline = std::chrono::steady_clock::now() + options_.drain_timeout;
      lock.unlock();
      relays_.stop_stdin("session-stopped");
    }
  }

  // Bytes fed to the program's stdin pipe that it never read, plus any not yet fed.
  std::uint64_t account_unconsumed_stdin() {
    StdinRelay* relay = relays_.stdin_relay();
    if (!relay) return 0;
    std::uint64_t in_pipe = 0;
    std::vector<char> buf(64u << 10);
    int available = 0;
    // FIONREAD first, so this never blocks (the pipe end shares fd 0's blocking mode).
    while (::ioctl(stdin_pipe_copy_.get(), FIONREAD, &available) == 0 && available > 0) {
      const ssize_t n =
          ::read(stdin_pipe_copy_.get(), buf.data(),
                 std::min<std::size_t>(buf.size(), static_cast<std::size_t>(available)));
      if (n <= 0) break;
      in_pipe += static_cast<std::uint64_t>(n);
    }
    stdin_pipe_copy_.reset();
    if (in_pipe > 0) {
      sink_->note(NoteLevel::Warning,
                  fmt::format("{} bytes of stdin were read ahead (recorded as stdin) but not "
                              "consumed by the program before stop; later readers of stdin "
                              "will not see them",
                              in_pipe));
    }
    return in_pipe + relay->undelivered_bytes();
  }

  std::optional<std::string> finish_trace() {
    return host_->finish([this](const TraceWriterStats&) {
      EndEvent end;
      end.t_ns = clock_.now_ns();
      end.counters = sink_->counters();
      return end;
    });
  }

  // Undo a partial start: descriptors back, thread stopped, trace closed with a note.
  void abort_start() noexcept {
    restore_fds();
    if (capturing_) log::set_output_fd(previous_log_fd_);
    if (thread_.joinable()) {
      request_stop();
      thread_.join();
    }
    capturing_ = false;
    if (host_) {
      try {
        sink_->note(NoteLevel::Error, "in-process capture could not start; nothing was captured");
        finish_trace();
      } catch (...) {
      }
    }
  }

  SessionOptions options_;
  RecorderPolicy policy_;
  RecordingClock clock_;
  std::unique_ptr<TraceWriterHost> host_;
  std::unique_ptr<IoEventSink> sink_;
  std::array<SavedFd, 3> saved_;
  UniqueFd stdin_pipe_copy_;
  std::optional<FileStdin> file_stdin_;
  RelaySet relays_;
  UniqueFd control_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_requested_ = false;
  std::uint64_t barrier_requested_ = 0;
  std::uint64_t barrier_done_ = 0;
  std::string pending_context_;
  std::vector<Stream> held_open_;
  int previous_log_fd_ = 2;
  bool capturing_ = false;
};

}  // namespace

std::unique_ptr<SessionCapture> make_session_capture(SessionOptions options) {
  return std::make_unique<InProcessCapture>(std::move(options));
}

}  // namespace ctrecord
