// Latency probe: how long a 1-byte write of a command takes to come out at the other end of a
// path (a bare pipe, `| cat`, ctest-record's live mirror). Measures round trip by round trip, so
// nothing batches.
//
//   latency_probe [--rounds N] [--warmup W] [--samples PATH] [--timeout S] -- CMD [ARGS...]
//   latency_probe --child --side-fd FD
//
// Parent mode runs CMD with stdin /dev/null, stderr inherited and stdout a pipe the probe reads,
// and one end of a socketpair inherited (not close-on-exec); every "{fd}" in CMD and ARGS is
// replaced by that end's descriptor number. CMD must end up running `latency_probe --child
// --side-fd {fd}` with its stdout flowing (through whatever is measured) into that pipe:
//   latency_probe -- latency_probe --child --side-fd {fd}                        (direct pipe)
//   latency_probe -- sh -c 'latency_probe --child --side-fd {fd} | cat'          (via cat)
//   latency_probe -- ctest-record -q -o T -- latency_probe --child --side-fd {fd}
// Per round the parent sends one byte on the socket ("go"); the child takes CLOCK_MONOTONIC,
// writes that byte to its stdout and sends the timestamp back on the socket; the parent takes
// CLOCK_MONOTONIC as soon as the byte arrives on its pipe, checks it is the byte it sent, and
// records the difference. The next round starts only after both arrived. Round i sends
// 'a' + i % 26, so the command's stdout carries exactly W+N bytes "abc...zab..." (a recording
// can be checked against that). Then the parent closes the socket (the child exits on EOF),
// expects EOF on the pipe and exit status 0 from CMD.
//
// Output: one JSON line on stdout, latencies of the N measured rounds (after W warm-up rounds)
// in microseconds: {"rounds":N,"warmup":W,"min_us":..,"median_us":..,"p99_us":..,"max_us":..,
// "mean_us":..}; --samples PATH also writes every measured latency in nanoseconds, one a line.
// p99 is the nearest-rank percentile. Exit status 0; 1 when a round failed, timed out (--timeout
// seconds per round, default 10) or CMD failed; 2 on bad arguments.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace {

std::int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "latency_probe: %s\n", message.c_str());
  std::exit(1);
}

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr,
               "latency_probe: %s (see the comment at the top of bench/latency_probe.cpp)\n",
               message.c_str());
  std::exit(2);
}

long parse_long(const char* text, const char* what) {
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < 0) {
    usage_error(std::string("bad ") + what);
  }
  return value;
}

// Reads exactly n bytes; false on EOF before the first byte or an error.
bool read_exact(int fd, void* buf, std::size_t n) {
  auto* p = static_cast<char*>(buf);
  while (n > 0) {
    const ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

bool write_exact(int fd, const void* buf, std::size_t n) {
  const auto* p = static_cast<const char*>(buf);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// Waits until fd is readable; false on timeout.
bool wait_readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  for (;;) {
    const int r = ::poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) die(std::string("poll: ") + std::strerror(errno));
    return r > 0;
  }
}

int child_mode(int side) {
  for (;;) {
    char go = 0;
    const ssize_t r = ::read(side, &go, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) die(std::string("child: read from the side channel: ") + std::strerror(errno));
    if (r == 0) return 0;  // the parent is done
    const std::int64_t t0 = now_ns();
    if (!write_exact(1, &go, 1))
      die(std::string("child: write to stdout: ") + std::strerror(errno));
    if (!write_exact(side, &t0, sizeof t0)) die("child: write to the side channel failed");
  }
}

std::string replace_all(std::string text, std::string_view from, const std::string& to) {
  for (std::size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

double us(std::int64_t ns) {
  return static_cast<double>(ns) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  long rounds = 2000;
  long warmup = 100;
  long timeout_s = 10;
  long side_fd = -1;
  bool child = false;
  std::string samples_path;
  std::vector<std::string> command;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage_error(std::string(arg) + " needs a value");
      return argv[++i];
    };
    if (arg == "--child") {
      child = true;
    } else if (arg == "--side-fd") {
      side_fd = parse_long(value(), "--side-fd");
    } else if (arg == "--rounds") {
      rounds = parse_long(value(), "--rounds");
    } else if (arg == "--warmup") {
      warmup = parse_long(value(), "--warmup");
    } else if (arg == "--timeout") {
      timeout_s = parse_long(value(), "--timeout");
    } else if (arg == "--samples") {
      samples_path = value();
    } else if (arg == "--") {
      command.assign(argv + i + 1, argv + argc);
      break;
    } else {
      usage_error("unknown argument '" + std::string(arg) + "'");
    }
  }
  if (child) {
    if (side_fd < 0) usage_error("--child needs --side-fd FD");
    return child_mode(static_cast<int>(side_fd));
  }
  if (command.empty()) usage_error("no command after --");
  if (rounds < 1) usage_error("--rounds must be at least 1");

  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    die(std::string("socketpair: ") + std::strerror(errno));
  }
  const int side = sv[0];
  const int child_side = sv[1];
  if (::fcntl(child_side, F_SETFD, 0) != 0) die(std::string("fcntl: ") + std::strerror(errno));
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) die(std::string("pipe2: ") + std::strerror(errno));

  const std::string fd_text = std::to_string(child_side);
  std::vector<std::string> args;
  for (const auto& a : command) args.push_back(replace_all(a, "{fd}", fd_text));
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  pid_t pid = -1;
  const int err = ::posix_spawnp(&pid, cargs[0], &actions, nullptr, cargs.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) die("cannot start " + args[0] + ": " + std::strerror(err));
  ::close(child_side);
  ::close(out[1]);
  const int in = out[0];

  std::vector<std::int64_t> samples;
  samples.reserve(static_cast<std::size_t>(rounds));
  const int timeout_ms = static_cast<int>(std::min<long>(timeout_s, 1000000) * 1000);
  bool ok = true;
  for (long i = 0; i < warmup + rounds && ok; ++i) {
    const char go = static_cast<char>('a' + i % 26);
    if (!write_exact(side, &go, 1)) {
      std::fprintf(stderr, "latency_probe: round %ld: cannot send go: %s\n", i,
                   std::strerror(errno));
      ok = false;
      break;
    }
    if (!wait_readable(in, timeout_ms)) {
      std::fprintf(stderr, "latency_probe: round %ld: no byte within %ld s\n", i, timeout_s);
      ok = false;
      break;
    }
    char got = 0;
    const ssize_t r = ::read(in, &got, 1);
    const std::int64_t t1 = now_ns();
    std::int64_t t0 = 0;
    if (r != 1 || got != go) {
      std::fprintf(stderr, "latency_probe: round %ld: expected '%c' on the pipe, got %s\n", i, go,
                   r == 1 ? std::string(1, got).c_str() : "EOF or an error");
      ok = false;
    } else if (!wait_readable(side, timeout_ms) || !read_exact(side, &t0, sizeof t0)) {
      std::fprintf(stderr, "latency_probe: round %ld: no timestamp from the child\n", i);
      ok = false;
    } else if (i >= warmup) {
      samples.push_back(t1 - t0);
    }
  }
  ::close(side);  // the child exits on EOF
  if (ok) {
    // Nothing more may come out: every byte was one round's.
    if (!wait_readable(in, timeout_ms)) {
      std::fprintf(stderr, "latency_probe: stdout of the command not closed within %ld s\n",
                   timeout_s);
      ok = false;
    } else {
      char extra[256];
      ssize_t r = 0;
      while ((r = ::read(in, extra, sizeof extra)) < 0 && errno == EINTR) {
      }
      if (r != 0) {
        std::fprintf(stderr, "latency_probe: unexpected bytes after the last round\n");
        ok = false;
      }
    }
  }
  ::close(in);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "latency_probe: the command ended with status 0x%x\n",
                 static_cast<unsigned>(status));
    ok = false;
  }
  if (!ok) return 1;

  if (!samples_path.empty()) {
    FILE* f = std::fopen(samples_path.c_str(), "w");
    if (f == nullptr) die("cannot write " + samples_path);
    for (const std::int64_t s : samples) std::fprintf(f, "%lld\n", static_cast<long long>(s));
    if (std::fclose(f) != 0) die("cannot write " + samples_path);
  }
  std::vector<std::int64_t> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  const std::size_t n = sorted.size();
  const auto rank = [&](double q) {
    const auto r = static_cast<std::size_t>(std::ceil(q * static_cast<double>(n)));
    return sorted[std::clamp<std::size_t>(r, 1, n) - 1];
  };
  double sum = 0;
  for (const std::int64_t s : sorted) sum += static_cast<double>(s);
  const double median =
      n % 2 == 1 ? us(sorted[n / 2]) : (us(sorted[n / 2 - 1]) + us(sorted[n / 2])) / 2.0;
  std::printf(
      "{\"rounds\":%zu,\"warmup\":%ld,\"min_us\":%.3f,\"median_us\":%.3f,\"p99_us\":%.3f,"
      "\"max_us\":%.3f,\"mean_us\":%.3f}\n",
      n, warmup, us(sorted.front()), median, us(rank(0.99)), us(sorted.back()),
      sum / static_cast<double>(n) / 1000.0);
  return 0;
}
