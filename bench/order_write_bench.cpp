// Micro-benchmark of the --order=exact shim: the cost of one small write(2) to a capture pipe
// that a reader drains, (1) without the shim, (2) with libctrecord_order.so preloaded but no
// recorder handshake (inactive), (3) with the shim sequencing every write into a ring that a
// simulated recorder consumes (tests/order_support/sim_recorder.*). The timed loop runs in a
// child (this program re-run with --writer), which reports nanoseconds per write.
//
//   order_write_bench [--writes N] [--size BYTES] [--runs R] [--shim PATH]
//
// Defaults: 200000 writes of 64 bytes, 5 runs per configuration (the median is reported, the
// configurations are interleaved run by run). Output: one line per configuration,
//   "<name>: <median> ns/write (runs: a b c ...)"
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "sim_recorder.hpp"

namespace {

using ctrecord::order_test::SimRecorder;
using ctrecord::order_test::SpawnOptions;

long long now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}

// The child: `writes` writes of `size` bytes to fd 1 after a warm-up; the result on fd 2.
int writer(long writes, long size) {
  std::string buf(static_cast<size_t>(size), 'x');
  buf.back() = '\n';
  for (int i = 0; i < 1000; ++i)
    if (write(1, buf.data(), buf.size()) != size) return 1;
  const long long start = now_ns();
  for (long i = 0; i < writes; ++i)
    if (write(1, buf.data(), buf.size()) != size) return 1;
  const long long elapsed = now_ns() - start;
  dprintf(2, "ns_per_write=%.1f\n", static_cast<double>(elapsed) / static_cast<double>(writes));
  return 0;
}

double run_once(const std::string& self, const std::string& shim, const SpawnOptions& options,
                long writes, long size) {
  SimRecorder rec(shim);
  const pid_t pid =
      rec.spawn({self, "--writer", std::to_string(writes), std::to_string(size)}, options);
  rec.close_write_ends();
  const int status = rec.finish({pid}, 120000).at(0);
  const size_t at = rec.err.find("ns_per_write=");
  if (status != 0 || at == std::string::npos) {
    std::fprintf(stderr, "order_write_bench: the writer failed (status %d): %s\n", status,
                 rec.err.c_str());
    std::exit(1);
  }
  const uint64_t expected = static_cast<uint64_t>(writes + 1000);
  if (options.preload && options.handshake && rec.slots.size() != expected + 1) {
    std::fprintf(stderr, "order_write_bench: %zu slots, expected %llu\n", rec.slots.size(),
                 static_cast<unsigned long long>(expected + 1));
    std::exit(1);
  }
  return std::strtod(rec.err.c_str() + at + 13, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string_view(argv[1]) == "--writer")
    return writer(std::atol(argv[2]), std::atol(argv[3]));
  long writes = 200000;
  long size = 64;
  int runs = 5;
  std::string shim = CTR_ORDER_SHIM;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view arg = argv[i];
    if (arg == "--writes")
      writes = std::atol(argv[i + 1]);
    else if (arg == "--size")
      size = std::atol(argv[i + 1]);
    else if (arg == "--runs")
      runs = std::atoi(argv[i + 1]);
    else if (arg == "--shim")
      shim = argv[i + 1];
    else {
      std::fprintf(stderr,
                   "usage: order_write_bench [--writes N] [--size B] [--runs R] "
                   "[--shim PATH]\n");
      return 2;
    }
  }
  if (argc % 2 == 0 || writes < 1 || size < 1 || size > 4096 || runs < 1) {
    std::fprintf(stderr, "order_write_bench: bad arguments\n");
    return 2;
  }
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return 1;
  self[n] = '\0';

  struct Config {
    const char* name;
    SpawnOptions options;
    std::vector<double> results;
  };
  SpawnOptions none;
  none.preload = false;
  none.handshake = false;
  SpawnOptions inactive;
  inactive.handshake = false;
  std::vector<Config> configs = {{"no shim", none, {}},
                                 {"shim preloaded, inactive (no handshake)", inactive, {}},
                                 {"shim active (sequenced, ring consumed)", SpawnOptions{}, {}}};
  for (int r = 0; r < runs; ++r)
    for (Config& c : configs) c.results.push_back(run_once(self, shim, c.options, writes, size));
  std::printf("%ld writes of %ld bytes to a drained pipe, %d runs each (median):\n", writes, size,
              runs);
  for (Config& c : configs) {
    std::vector<double> sorted = c.results;
    std::sort(sorted.begin(), sorted.end());
    std::printf("  %-42s %8.1f ns/write  (runs:", c.name, sorted[sorted.size() / 2]);
    for (const double v : c.results) std::printf(" %.1f", v);
    std::printf(")\n");
  }
  return 0;
}
