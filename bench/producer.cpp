// Benchmark producer: writes N bytes of realistic test-log text or poorly compressible bytes
// to stdout (optionally alternating with stderr), and reports what it wrote so a recording can
// be checked byte for byte.
//
//   producer [--bytes N] [--kind text|random] [--write-size N] [--both] [--threads T]
//            [--rate MBPS] [--seed S] [--perturb N] [--report PATH] [--no-checksum]
//   producer --hash [FILE]          checksum of FILE (default stdin), same JSON fields
//
// N and sizes take K/M/G suffixes (powers of 1024). The summary is one JSON line on stderr,
// or in --report PATH (needed with --both, where stderr carries data):
//   {"bytes":N,"seconds":S,"threads":T,"checksum":"xxh64","streams":{"stdout":{...},...}}
// and per stream {"bytes":N,"xxh64":"16 hex digits","lines":"16 hex digits"}.
//
// Checksums (both computed by --hash in the same way, so a recording can be compared):
// - "xxh64": XXH64 (seed 0) of the stream's bytes in order. Only meaningful with one thread:
//   several threads interleave in whatever order the kernel picks.
// - "lines": the sum modulo 2^64 of XXH64 of every line (including its '\n'; a final partial
//   line counts as a line). Order-independent, so it checks several threads' text as long as
//   no write is torn: text writes are whole lines, and writes of at most PIPE_BUF (4096) bytes
//   are atomic on a pipe. Larger writes from several threads may interleave mid-line.
//
// Text is generated once into a pool (seeded, deterministic; pytest-, gtest- and log-like lines
// with varying numbers, durations, hex addresses) and then written cyclically from it; the pool
// (4 MiB) is larger than zstd's window at levels 1-3 (512 KiB-2 MiB), so repetition does not help
// the compressor. Text writes are whole lines: as many as fit in --write-size (at least one), so
// --write-size 64 gives one line per write(2). Random bytes are written in exact --write-size
// pieces. --rate paces all threads together to MBPS * 10^6 bytes per second.
//
// --perturb N (text only) appends " [perturbed]" to every Nth line of the pool (lines N, 2N, ...
// counted from 1; no built-in normaliser of ctest-replay touches it). The rest of the pool is
// the same as without it, so two runs with and without --perturb differ in a few lines per
// 4 MiB pool cycle (the pool holds about 64,000 lines): --perturb 50000 changes one line in
// every 4 MiB of output, 13 lines in 50 MiB.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

// ---- XXH64 (streaming), after the reference specification ----

constexpr std::uint64_t kP1 = 0x9E3779B185EBCA87ULL;
constexpr std::uint64_t kP2 = 0xC2B2AE3D27D4EB4FULL;
constexpr std::uint64_t kP3 = 0x165667B19E3779F9ULL;
constexpr std::uint64_t kP4 = 0x85EBCA77C2B2AE63ULL;
constexpr std::uint64_t kP5 = 0x27D4EB2F165667C5ULL;

constexpr std::uint64_t rotl(std::uint64_t x, int r) {
  return (x << r) | (x >> (64 - r));
}

std::uint64_t read64(const unsigned char* p) {
  std::uint64_t v = 0;
  std::memcpy(&v, p, sizeof v);  // little-endian hosts only (x86-64, aarch64)
  return v;
}

std::uint32_t read32(const unsigned char* p) {
  std::uint32_t v = 0;
  std::memcpy(&v, p, sizeof v);
  return v;
}

constexpr std::uint64_t round64(std::uint64_t acc, std::uint64_t input) {
  return rotl(acc + input * kP2, 31) * kP1;
}

constexpr std::uint64_t merge_round(std::uint64_t acc, std::uint64_t val) {
  return (acc ^ round64(0, val)) * kP1 + kP4;
}

class Xxh64 {
 public:
  void update(const unsigned char* p, std::size_t n) {
    total_ += n;
    if (buffered_ + n < 32) {
      std::memcpy(buf_ + buffered_, p, n);
      buffered_ += n;
      return;
    }
    if (buffered_ > 0) {
      const std::size_t take = 32 - buffered_;
      std::memcpy(buf_ + buffered_, p, take);
      stripe(buf_);
      p += take;
      n -= take;
      buffered_ = 0;
    }
    while (n >= 32) {
      stripe(p);
      p += 32;
      n -= 32;
    }
    std::memcpy(buf_, p, n);
    buffered_ = n;
  }

  [[nodiscard]] std::uint64_t digest() const {
    std::uint64_t h = 0;
    if (total_ >= 32) {
      h = rotl(v_[0], 1) + rotl(v_[1], 7) + rotl(v_[2], 12) + rotl(v_[3], 18);
      for (const std::uint64_t v : v_) h = merge_round(h, v);
    } else {
      h = kP5;
    }
    h += total_;
    const unsigned char* p = buf_;
    std::size_t n = buffered_;
    while (n >= 8) {
      h ^= round64(0, read64(p));
      h = rotl(h, 27) * kP1 + kP4;
      p += 8;
      n -= 8;
    }
    if (n >= 4) {
      h ^= static_cast<std::uint64_t>(read32(p)) * kP1;
      h = rotl(h, 23) * kP2 + kP3;
      p += 4;
      n -= 4;
    }
    while (n > 0) {
      h ^= (*p) * kP5;
      h = rotl(h, 11) * kP1;
      ++p;
      --n;
    }
    h ^= h >> 33;
    h *= kP2;
    h ^= h >> 29;
    h *= kP3;
    h ^= h >> 32;
    return h;
  }

 private:
  void stripe(const unsigned char* p) {
    for (int i = 0; i < 4; ++i) v_[i] = round64(v_[i], read64(p + 8 * i));
  }

  std::uint64_t v_[4] = {kP1 + kP2, kP2, 0, 0 - kP1};
  unsigned char buf_[32] = {};
  std::size_t buffered_ = 0;
  std::uint64_t total_ = 0;
};

std::uint64_t xxh64(const unsigned char* p, std::size_t n) {
  Xxh64 h;
  h.update(p, n);
  return h.digest();
}

// Everything one stream needs: byte count, ordered XXH64, order-independent sum of line hashes.
class StreamSum {
 public:
  void update(const unsigned char* p, std::size_t n) {
    bytes_ += n;
    whole_.update(p, n);
    while (n > 0) {
      const auto* nl = static_cast<const unsigned char*>(std::memchr(p, '\n', n));
      const std::size_t len = nl ? static_cast<std::size_t>(nl - p) + 1 : n;
      if (partial_.empty() && nl) {
        lines_ += xxh64(p, len);
      } else {
        partial_.append(reinterpret_cast<const char*>(p), len);
        if (nl) {
          lines_ += xxh64(reinterpret_cast<const unsigned char*>(partial_.data()), partial_.size());
          partial_.clear();
        }
      }
      p += len;
      n -= len;
    }
  }

  [[nodiscard]] std::string json() const {
    std::uint64_t lines = lines_;
    if (!partial_.empty()) {
      lines += xxh64(reinterpret_cast<const unsigned char*>(partial_.data()), partial_.size());
    }
    char out[160];
    std::snprintf(out, sizeof out,
                  "{\"bytes\":%" PRIu64 ",\"xxh64\":\"%016" PRIx64 "\",\"lines\":\"%016" PRIx64
                  "\"}",
                  bytes_, whole_.digest(), lines);
    return out;
  }

 private:
  std::uint64_t bytes_ = 0;
  std::uint64_t lines_ = 0;
  Xxh64 whole_;
  std::string partial_;
};

// ---- deterministic content ----

struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  unsigned below(unsigned n) { return static_cast<unsigned>(next() % n); }
};

constexpr const char* kModules[] = {"test_parser", "test_io",        "test_cache", "test_http",
                                    "test_models", "test_scheduler", "test_utils", "test_cli"};
constexpr const char* kSuites[] = {"TraceWriter", "BoundedQueue", "Spawn", "Normalizer",
                                   "Differ",      "EventCodec",   "Relay", "Session"};
constexpr const char* kLevels[] = {"DEBUG", "INFO", "INFO", "INFO", "WARNING", "ERROR"};
constexpr const char* kVerdicts[] = {"PASSED", "PASSED",  "PASSED", "PASSED",
                                     "PASSED", "SKIPPED", "FAILED", "XFAIL"};

// Appends one log-like line (ending in '\n') of roughly 30..130 bytes.
void append_line(std::string& out, SplitMix64& rng, std::uint64_t index) {
  char line[256];
  int n = 0;
  switch (rng.below(6)) {
    case 0:
      n = std::snprintf(line, sizeof line, "tests/%s.py::test_case_%04u[param-%u] %s [%3u%%]\n",
                        kModules[rng.below(8)], rng.below(5000), rng.below(16),
                        kVerdicts[rng.below(8)], static_cast<unsigned>(index % 101));
      break;
    case 1:
      n = std::snprintf(line, sizeof line, "[ RUN      ] %s.Case%u\n", kSuites[rng.below(8)],
                        rng.below(900));
      break;
    case 2:
      n = std::snprintf(line, sizeof line, "[       OK ] %s.Case%u (%u ms)\n",
                        kSuites[rng.below(8)], rng.below(900), rng.below(2500));
      break;
    case 3:
      n = std::snprintf(
          line, sizeof line,
          "2026-11-%02u %02u:%02u:%02u,%03u %s worker-%u processed batch %" PRIu64 " in %u.%04us\n",
          1 + rng.below(28), rng.below(24), rng.below(60), rng.below(60), rng.below(1000),
          kLevels[rng.below(6)], rng.below(16), index, rng.below(3), rng.below(10000));
      break;
    case 4:
      n = std::snprintf(line, sizeof line,
                        "    assert result == expected  # got %u, object at 0x7f%010" PRIx64 "\n",
                        rng.below(100000),
                        static_cast<std::uint64_t>(rng.next() & 0xFFFFFFFFFFULL));
      break;
    default:
      n = std::snprintf(line, sizeof line, "  %s:%u: in %s: step %u/%u ok\n",
                        kModules[rng.below(8)], 10 + rng.below(990), kSuites[rng.below(8)],
                        rng.below(64), 64u);
      break;
  }
  out.append(line, static_cast<std::size_t>(std::max(n, 0)));
}

// Pool of whole lines; wrapping around always lands on a line start.
std::string make_text_pool(std::size_t size, std::uint64_t seed, std::uint64_t perturb) {
  std::string pool;
  pool.reserve(size + 256);
  SplitMix64 rng{seed};
  std::uint64_t index = 0;
  while (pool.size() < size) {
    append_line(pool, rng, index++);
    if (perturb > 0 && index % perturb == 0) pool.insert(pool.size() - 1, " [perturbed]");
  }
  return pool;
}

std::string make_random_pool(std::size_t size, std::uint64_t seed) {
  std::string pool(size, '\0');
  SplitMix64 rng{seed};
  for (std::size_t i = 0; i + 8 <= size; i += 8) {
    const std::uint64_t v = rng.next();
    std::memcpy(pool.data() + i, &v, 8);
  }
  return pool;
}

// ---- options ----

struct Options {
  std::uint64_t bytes = 64ULL << 20;
  bool text = true;
  std::size_t write_size = 64 * 1024;
  bool both = false;
  int threads = 1;
  double rate_mbps = 0;  // 0 = unlimited
  std::uint64_t seed = 1;
  std::uint64_t perturb = 0;  // 0 = off
  std::string report;
  bool checksum = true;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "producer: %s (see the comment at the top of bench/producer.cpp)\n",
               message.c_str());
  std::exit(2);
}

std::uint64_t parse_size(std::string_view text, const char* what) {
  std::string s(text);
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || errno != 0 || value < 0) usage_error(std::string("bad ") + what);
  double scale = 1;
  const std::string_view suffix(end);
  if (suffix == "K" || suffix == "k") {
    scale = 1024.0;
  } else if (suffix == "M" || suffix == "m") {
    scale = 1024.0 * 1024.0;
  } else if (suffix == "G" || suffix == "g") {
    scale = 1024.0 * 1024.0 * 1024.0;
  } else if (!suffix.empty()) {
    usage_error(std::string("bad suffix in ") + what);
  }
  return static_cast<std::uint64_t>(value * scale);
}

// ---- writing ----

// The content written, with what the writer needs to stay cheap: for text, the start of every
// line and the running sum of line hashes, so a write of lines [i, j) costs two lookups
// instead of hashing each line (per-line hashing would halve the producer's speed).
struct Pool {
  std::string bytes;
  std::vector<std::size_t> line_starts;  // text: L+1 entries, the last is bytes.size()
  std::vector<std::uint64_t> line_sums;  // text: line_sums[j] = sum of hashes of lines [0, j)
};

Pool make_pool(const Options& opt) {
  constexpr std::size_t kPoolSize = 4u << 20;
  Pool pool;
  if (!opt.text) {
    pool.bytes = make_random_pool(kPoolSize, opt.seed);
    return pool;
  }
  pool.bytes = make_text_pool(kPoolSize, opt.seed, opt.perturb);
  pool.line_starts.push_back(0);
  pool.line_sums.push_back(0);
  const auto* base = reinterpret_cast<const unsigned char*>(pool.bytes.data());
  for (std::size_t i = 0; i < pool.bytes.size(); ++i) {
    if (pool.bytes[i] != '\n') continue;
    const std::size_t start = pool.line_starts.back();
    pool.line_sums.push_back(pool.line_sums.back() + xxh64(base + start, i + 1 - start));
    pool.line_starts.push_back(i + 1);
  }
  return pool;
}

struct StreamResult {
  std::uint64_t bytes = 0;
  Xxh64 ordered;            // one thread only
  std::uint64_t lines = 0;  // text only

  [[nodiscard]] std::string json(bool with_ordered, bool with_lines) const {
    char out[160];
    char ordered_text[24] = "null";
    char lines_text[24] = "null";
    if (with_ordered)
      std::snprintf(ordered_text, sizeof ordered_text, "\"%016" PRIx64 "\"", ordered.digest());
    if (with_lines) std::snprintf(lines_text, sizeof lines_text, "\"%016" PRIx64 "\"", lines);
    std::snprintf(out, sizeof out, "{\"bytes\":%" PRIu64 ",\"xxh64\":%s,\"lines\":%s}", bytes,
                  ordered_text, lines_text);
    return out;
  }
};

struct ThreadResult {
  StreamResult out;
  StreamResult err;
  bool failed = false;
};

bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

using Clock = std::chrono::steady_clock;

void run_writer(const Options& opt, const Pool& pool, std::size_t start_line, std::uint64_t quota,
                Clock::time_point t0, ThreadResult& result) {
  const double bytes_per_second = opt.rate_mbps * 1e6 / opt.threads;
  const bool ordered = opt.checksum && opt.threads == 1;
  const std::size_t line_count = opt.text ? pool.line_starts.size() - 1 : 0;
  std::size_t pos = opt.text ? pool.line_starts[start_line] : 0;
  std::size_t line = start_line;
  std::uint64_t done = 0;
  bool to_err = false;
  while (done < quota) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(opt.write_size, quota - done));
    std::size_t len = std::min(want, pool.bytes.size() - pos);
    std::uint64_t lines_sum = 0;
    std::size_t next_line = 0;
    if (opt.text) {
      // Whole lines only: as many as fit in `want`, at least one. A line is never cut at the
      // quota either, so the total may exceed --bytes by less than a line per thread; that
      // keeps the "lines" checksum valid for several threads.
      const auto first = pool.line_starts.begin() + static_cast<std::ptrdiff_t>(line) + 1;
      const auto past = std::upper_bound(first, pool.line_starts.end(), pos + want);
      next_line = static_cast<std::size_t>(past - pool.line_starts.begin()) - 1;
      if (next_line == line) next_line = line + 1;
      len = pool.line_starts[next_line] - pos;
      lines_sum = pool.line_sums[next_line] - pool.line_sums[line];
    }
    const char* p = pool.bytes.data() + pos;
    const int fd = to_err ? 2 : 1;
    if (!write_all(fd, p, len)) {
      result.failed = true;
      return;
    }
    StreamResult& stream = to_err ? result.err : result.out;
    stream.bytes += len;
    stream.lines += lines_sum;
    if (ordered) stream.ordered.update(reinterpret_cast<const unsigned char*>(p), len);
    done += len;
    pos += len;
    line = next_line;
    if (pos == pool.bytes.size()) pos = line = 0;
    if (opt.text && line == line_count) line = 0;
    if (opt.both) to_err = !to_err;
    if (bytes_per_second > 0) {
      const auto due = t0 + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(done / bytes_per_second));
      // Sleep only when more than a millisecond ahead: 64-byte writes are far too frequent.
      if (due - Clock::now() > std::chrono::milliseconds(1)) std::this_thread::sleep_until(due);
    }
  }
}

int hash_mode(const char* path) {
  int fd = 0;
  if (path != nullptr) {
    fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::fprintf(stderr, "producer --hash: cannot open %s: %s\n", path, std::strerror(errno));
      return 1;
    }
  }
  StreamSum sum;
  std::vector<unsigned char> buf(1 << 20);
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::fprintf(stderr, "producer --hash: read: %s\n", std::strerror(errno));
      return 1;
    }
    if (n == 0) break;
    sum.update(buf.data(), static_cast<std::size_t>(n));
  }
  std::printf("%s\n", sum.json().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) usage_error(std::string(arg) + " needs a value");
      return argv[++i];
    };
    if (arg == "--hash") {
      return hash_mode(i + 1 < argc ? argv[i + 1] : nullptr);
    } else if (arg == "--bytes") {
      opt.bytes = parse_size(value(), "--bytes");
    } else if (arg == "--kind") {
      const std::string_view kind = value();
      if (kind != "text" && kind != "random") usage_error("--kind is text or random");
      opt.text = kind == "text";
    } else if (arg == "--write-size") {
      opt.write_size = parse_size(value(), "--write-size");
      if (opt.write_size == 0) usage_error("--write-size must be positive");
    } else if (arg == "--both") {
      opt.both = true;
    } else if (arg == "--threads") {
      opt.threads = static_cast<int>(parse_size(value(), "--threads"));
      if (opt.threads < 1 || opt.threads > 256) usage_error("--threads is 1..256");
    } else if (arg == "--rate") {
      opt.rate_mbps = std::strtod(std::string(value()).c_str(), nullptr);
      if (opt.rate_mbps < 0) usage_error("bad --rate");
    } else if (arg == "--seed") {
      opt.seed = parse_size(value(), "--seed");
    } else if (arg == "--perturb") {
      opt.perturb = parse_size(value(), "--perturb");
    } else if (arg == "--report") {
      opt.report = value();
    } else if (arg == "--no-checksum") {
      opt.checksum = false;
    } else {
      usage_error("unknown argument '" + std::string(arg) + "'");
    }
  }
  if (opt.both && opt.report.empty()) usage_error("--both needs --report PATH");
  if (opt.perturb > 0 && !opt.text) usage_error("--perturb is for --kind text");

  const Pool pool = make_pool(opt);

  std::vector<ThreadResult> results(static_cast<std::size_t>(opt.threads));
  const auto t0 = Clock::now();
  if (opt.threads == 1) {
    run_writer(opt, pool, 0, opt.bytes, t0, results[0]);
  } else {
    std::vector<std::thread> workers;
    std::atomic<int> ready{0};
    for (int t = 0; t < opt.threads; ++t) {
      const std::uint64_t quota = opt.bytes / opt.threads + (t == 0 ? opt.bytes % opt.threads : 0);
      // Each thread starts at its own line of the pool, so threads write different lines.
      const std::size_t start_line = opt.text ? (pool.line_starts.size() - 1) /
                                                    static_cast<std::size_t>(opt.threads) *
                                                    static_cast<std::size_t>(t)
                                              : 0;
      workers.emplace_back([&, t, quota, start_line] {
        ready.fetch_add(1);
        while (ready.load() < opt.threads) std::this_thread::yield();
        run_writer(opt, pool, start_line, quota, t0, results[static_cast<std::size_t>(t)]);
      });
    }
    for (auto& w : workers) w.join();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();

  bool failed = false;
  StreamResult out = results[0].out;
  StreamResult err = results[0].err;
  for (std::size_t t = 1; t < results.size(); ++t) {
    out.bytes += results[t].out.bytes;
    out.lines += results[t].out.lines;
    err.bytes += results[t].err.bytes;
    err.lines += results[t].err.lines;
  }
  for (const auto& r : results) failed = failed || r.failed;
  const bool ordered = opt.checksum && opt.threads == 1;
  const bool lines = opt.checksum && opt.text;

  std::string json = "{\"bytes\":" + std::to_string(out.bytes + err.bytes) +
                     ",\"seconds\":" + std::to_string(seconds) +
                     ",\"threads\":" + std::to_string(opt.threads) +
                     ",\"failed\":" + (failed ? "true" : "false") +
                     ",\"streams\":{\"stdout\":" + out.json(ordered, lines);
  if (opt.both) json += ",\"stderr\":" + err.json(ordered, lines);
  json += "}}\n";
  if (opt.report.empty()) {
    std::fputs(json.c_str(), stderr);
  } else {
    FILE* f = std::fopen(opt.report.c_str(), "w");
    if (f == nullptr || std::fputs(json.c_str(), f) < 0 || std::fclose(f) != 0) {
      std::fprintf(stderr, "producer: cannot write %s\n", opt.report.c_str());
      return 1;
    }
  }
  return failed ? 1 : 0;
}
