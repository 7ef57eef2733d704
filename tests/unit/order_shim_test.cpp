// libctrecord_order.so (the --order=exact shim) against a simulated recorder (SimRecorder):
// real programs run with the shim preloaded; their capture pipes are drained while the ring
// is consumed, then each pipe's bytes are cut into the announced writes and the writes, in
// sequence order, must be the programs' true write order, with the right pid/tid/stream.
// Also: what a program sees is the real call's (return values, errno, EPIPE/SIGPIPE, partial
// writes), a program without the handshake is untouched, a writer killed holding the lock
// wedges nobody, and a full ring waits for the consumer.
#include <elf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "sim_recorder.hpp"

namespace ctrecord::order_test {
namespace {

const std::string kShim = CTR_ORDER_SHIM;
const std::string kWriter = CTR_ORDER_WRITER;
const std::string kWriterStatic = CTR_ORDER_WRITER_STATIC;
const std::string kProbe = CTR_ORDER_PROBE;
const std::string kCoutEarly = CTR_ORDER_COUT_EARLY;
const std::string kPython = "/usr/bin/python3";

// ---------------------------------------------------------------------------- the ledger

struct Write {
  uint64_t seq = 0;
  int stream = 0;
  int32_t pid = 0;
  int32_t tid = 0;
  int64_t result = 0;
  std::string bytes;
};

struct Ledger {
  std::vector<Write> writes;  // Done slots with their bytes, in sequence order
  std::string rest_out;       // bytes of each pipe after the last sequenced write
  std::string rest_err;
  std::vector<std::string> problems;
  size_t abandoned = 0;
  size_t pending = 0;

  bool exact() const {
    return problems.empty() && rest_out.empty() && rest_err.empty() && abandoned == 0 &&
           pending == 0;
  }
  std::string describe() const {
    std::ostringstream os;
    os << writes.size() << " writes, " << abandoned << " abandoned, " << pending
       << " pending, unsequenced rest: " << rest_out.size() << " stdout / " << rest_err.size()
       << " stderr bytes";
    for (size_t i = 0; i < problems.size() && i < 10; ++i) os << "\n  " << problems[i];
    return os.str();
  }
};

// Cuts each pipe's bytes into the Done slots' writes, in sequence order (a recorder's job when
// there are no unsequenced bytes before the sequenced ones): sequence numbers 1, 2, 3, ...,
// each slot's head bytes are the first bytes of its write, and the lengths add up.
Ledger cut(const SimRecorder& rec) {
  Ledger l;
  size_t pos[3] = {0, 0, 0};
  const std::string* pipe[3] = {nullptr, &rec.out, &rec.err};
  for (size_t i = 0; i < rec.slots.size(); ++i) {
    const SlotCopy& s = rec.slots[i];
    if (s.seq != i + 1)
      l.problems.push_back("slot " + std::to_string(i) + " has seq " + std::to_string(s.seq));
    if (s.stream != 1 && s.stream != 2) {
      l.problems.push_back("slot " + std::to_string(i) + ": stream " + std::to_string(s.stream));
      continue;
    }
    if (s.state == order::kAbandoned) {
      ++l.abandoned;
      continue;
    }
    if (s.state != order::kDone) {
      ++l.pending;
      continue;
    }
    Write w{s.seq, s.stream, s.pid, s.tid, s.result, {}};
    if (s.result > 0) {
      const std::string& bytes = *pipe[s.stream];
      const auto n = static_cast<size_t>(s.result);
      if (pos[s.stream] + n > bytes.size()) {
        l.problems.push_back("seq " + std::to_string(s.seq) + ": " + std::to_string(n) +
                             " bytes announced, only " +
                             std::to_string(bytes.size() - pos[s.stream]) + " left in the pipe");
        continue;
      }
      w.bytes = bytes.substr(pos[s.stream], n);
      pos[s.stream] += n;
      if (w.bytes.compare(0, s.head.size(), s.head) != 0 ||
          s.head.size() != std::min<size_t>(n, order::kHeadBytes))
        l.problems.push_back("seq " + std::to_string(s.seq) + ": head '" + s.head +
                             "' is not the start of '" + w.bytes.substr(0, 40) + "'");
    }
    l.writes.push_back(std::move(w));
  }
  l.rest_out = rec.out.substr(pos[1]);
  l.rest_err = rec.err.substr(pos[2]);
  return l;
}

// "1:text" / "2:text" for every line, in sequence order (consecutive writes to the same
// stream joined first: glibc's helpers write a message in pieces).
std::vector<std::string> tagged_lines(const Ledger& l) {
  std::vector<std::string> lines;
  for (size_t i = 0; i < l.writes.size();) {
    const int stream = l.writes[i].stream;
    std::string text;
    for (; i < l.writes.size() && l.writes[i].stream == stream; ++i) text += l.writes[i].bytes;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      lines.push_back(std::to_string(stream) + ":" + text.substr(start, end - start));
      start = end + 1;
    }
  }
  return lines;
}

// order_writer's lines "<counter> <pid> <tid> <o|e>\n": one per write, counters 0, 1, 2, ...
// in sequence order, pid/tid/stream those the shim announced.
void expect_counter_order(const Ledger& l, size_t expected_writes) {
  ASSERT_TRUE(l.exact()) << l.describe();
  ASSERT_EQ(l.writes.size(), expected_writes);
  for (size_t i = 0; i < l.writes.size(); ++i) {
    const Write& w = l.writes[i];
    unsigned long long counter = 0;
    int pid = 0;
    int tid = 0;
    char letter = 0;
    int used = 0;
    const int fields =
        std::sscanf(w.bytes.c_str(), "%llu %d %d %c\n%n", &counter, &pid, &tid, &letter, &used);
    ASSERT_EQ(fields, 4) << "seq " << w.seq << ": '" << w.bytes << "'";
    ASSERT_EQ(static_cast<size_t>(used), w.bytes.size()) << "seq " << w.seq << ": one line";
    ASSERT_EQ(counter, i) << "seq " << w.seq << " holds counter " << counter
                          << ": the sequence is not the true write order";
    ASSERT_EQ(pid, w.pid) << "seq " << w.seq;
    ASSERT_EQ(tid, w.tid) << "seq " << w.seq;
    ASSERT_EQ(letter, w.stream == 1 ? 'o' : 'e') << "seq " << w.seq;
  }
}

// ------------------------------------------------------------------------------ helpers

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("ctr-order-" + std::to_string(getpid()) + "-" + name))
      .string();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct Result {
  int status = 0;
  std::string out;
  std::string err;
  Ledger ledger;
  size_t slots = 0;
};

Result run(const std::vector<std::string>& argv, const SpawnOptions& options = {},
           const std::function<void(SimRecorder&)>& before = {}) {
  SimRecorder rec(kShim);
  if (before) before(rec);
  const pid_t pid = rec.spawn(argv, options);
  rec.close_write_ends();
  const std::vector<int> statuses = rec.finish({pid});
  EXPECT_FALSE(rec.timed_out) << argv[0] << " did not finish";
  Result r;
  r.status = statuses.at(0);
  r.out = rec.out;
  r.err = rec.err;
  r.ledger = cut(rec);
  r.slots = rec.slots.size();
  return r;
}

SpawnOptions unpreloaded() {
  SpawnOptions o;
  o.preload = false;
  o.handshake = false;
  return o;
}

SpawnOptions preloaded_without_handshake() {
  SpawnOptions o;
  o.handshake = false;
  return o;
}

bool exited_ok(int status) {
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool pump_until(SimRecorder& rec, const std::function<bool()>& done, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    rec.pump(1);
  }
  return true;
}

// ------------------------------------------------------------------ the library itself

// The shim is loaded into every process of a run: it must need libc and nothing else.
TEST(OrderShim, NeedsOnlyLibc) {
  const std::string image = slurp(kShim);
  ASSERT_GT(image.size(), sizeof(Elf64_Ehdr));
  Elf64_Ehdr eh;
  std::memcpy(&eh, image.data(), sizeof eh);
  ASSERT_EQ(std::memcmp(eh.e_ident, ELFMAG, SELFMAG), 0);
  ASSERT_EQ(eh.e_ident[EI_CLASS], ELFCLASS64);
  std::vector<std::string> needed;
  for (int i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh;
    std::memcpy(&sh, image.data() + eh.e_shoff + static_cast<size_t>(i) * eh.e_shentsize,
                sizeof sh);
    if (sh.sh_type != SHT_DYNAMIC) continue;
    Elf64_Shdr strtab;
    std::memcpy(&strtab, image.data() + eh.e_shoff + size_t{sh.sh_link} * eh.e_shentsize,
                sizeof strtab);
    for (size_t off = 0; off + sizeof(Elf64_Dyn) <= sh.sh_size; off += sizeof(Elf64_Dyn)) {
      Elf64_Dyn dyn;
      std::memcpy(&dyn, image.data() + sh.sh_offset + off, sizeof dyn);
      if (dyn.d_tag == DT_NULL) break;
      if (dyn.d_tag == DT_NEEDED)
        needed.emplace_back(image.data() + strtab.sh_offset + dyn.d_un.d_val);
    }
  }
  EXPECT_EQ(needed, std::vector<std::string>{"libc.so.6"});
}

// ------------------------------------------------------------------- exact order proofs

struct WriterCase {
  const char* modes;
};

class OrderWriter : public ::testing::TestWithParam<WriterCase> {};

// 4 processes x 8 threads alternate tiny writes to stdout and stderr with no delay: the
// writes in sequence order are the fixture's counter order, with the writers' pid/tid.
TEST_P(OrderWriter, SequenceIsTheTrueWriteOrder) {
  const Result r = run(
      {kWriter, "--procs", "4", "--threads", "8", "--lines", "40", "--modes", GetParam().modes});
  ASSERT_TRUE(exited_ok(r.status)) << r.status << "\n" << r.err.substr(0, 2000);
  expect_counter_order(r.ledger, 4 * 8 * 40);
}

INSTANTIATE_TEST_SUITE_P(Modes, OrderWriter,
                         ::testing::Values(WriterCase{"write"}, WriterCase{"writev"},
                                           WriterCase{"stdio"}, WriterCase{"dprintf"},
                                           WriterCase{"cout"},
                                           WriterCase{"write,writev,stdio,dprintf,cout"}),
                         [](const auto& param_info) {
                           std::string name = param_info.param.modes;
                           std::replace(name.begin(), name.end(), ',', '_');
                           return name;
                         });

// Without the fixture's lock the writes really race and only the shim orders them: each
// pipe's bytes must still be cut exactly along the announced writes (the lock is held across
// the real write, so a pipe's bytes are in sequence order), every line belongs to the pid/tid
// announced for it, and each thread's lines come in its own program order.
TEST(OrderShim, RacingWritersBytesFollowTheSequence) {
  const Result r = run({kWriter, "--procs", "4", "--threads", "8", "--lines", "60", "--modes",
                        "write,writev,dprintf", "--unlocked"});
  ASSERT_TRUE(exited_ok(r.status)) << r.status;
  ASSERT_TRUE(r.ledger.exact()) << r.ledger.describe();
  ASSERT_EQ(r.ledger.writes.size(), 4u * 8 * 60);
  std::map<int32_t, long> next_line;  // per tid
  for (const Write& w : r.ledger.writes) {
    long line = 0;
    int pid = 0;
    int tid = 0;
    char letter = 0;
    ASSERT_EQ(std::sscanf(w.bytes.c_str(), "%ld %d %d %c ", &line, &pid, &tid, &letter), 4)
        << w.bytes;
    ASSERT_EQ(w.bytes.find('\n'), w.bytes.size() - 1) << "seq " << w.seq << ": one line";
    ASSERT_EQ(pid, w.pid) << "seq " << w.seq;
    ASSERT_EQ(tid, w.tid) << "seq " << w.seq;
    ASSERT_EQ(letter, w.stream == 1 ? 'o' : 'e') << "seq " << w.seq;
    ASSERT_EQ(line, next_line[tid]++) << "seq " << w.seq << ": thread " << tid << " out of order";
  }
}

TEST(OrderShim, Dup2edDescriptorsAreMatchedByPipeNotNumber) {
  const Result r = run({kProbe, "dup2"});
  ASSERT_TRUE(exited_ok(r.status));
  ASSERT_TRUE(r.ledger.exact()) << r.ledger.describe();
  EXPECT_EQ(tagged_lines(r.ledger),
            (std::vector<std::string>{"1:A via a dup of fd 1", "2:B fd 1 is now stderr",
                                      "2:C printf on fd 1 = stderr",
                                      "1:D printf on fd 1 = stdout again"}));
}

TEST(OrderShim, EchoToStderrThroughStdoutsFile) {
  const Result r = run({kProbe, "bash-like"});
  ASSERT_TRUE(exited_ok(r.status));
  ASSERT_TRUE(r.ledger.exact()) << r.ledger.describe();
  EXPECT_EQ(tagged_lines(r.ledger),
            (std::vector<std::string>{"1:o0", "2:e0", "1:o1", "2:e1", "1:o2", "2:e2"}));
}

TEST(OrderShim, ShellEchoBashAndDash) {
  const std::vector<std::string> expected = {"1:o0", "2:e0", "1:o1", "2:e1",
                                             "1:o2", "2:e2", "1:px"};
  for (const char* shell : {"/bin/bash", "/bin/sh"}) {
    const Result r =
        run({shell, "-c", "for i in 0 1 2; do echo o$i; echo e$i >&2; done; printf 'p%s\\n' x"});
    ASSERT_TRUE(exited_ok(r.status)) << shell;
    ASSERT_TRUE(r.ledger.exact()) << shell << ": " << r.ledger.describe();
    EXPECT_EQ(tagged_lines(r.ledger), expected) << shell;
  }
}

// coreutils close stdout at exit (close_stdout: __fpending, ferror, fclose): on the shim's
// stream that flushes, closes fd 1 and reports success.
TEST(OrderShim, CoreutilsCloseStdoutAtExit) {
  const Result r = run({"/bin/sh", "-c",
                        "/bin/echo o0; /usr/bin/printf 'e0\\n' >&2; /bin/cat /dev/null; "
                        "/usr/bin/printf 'o1\\n'; /bin/echo e1 >&2; echo status $?"});
  ASSERT_TRUE(exited_ok(r.status)) << r.err;
  ASSERT_TRUE(r.ledger.exact()) << r.ledger.describe();
  EXPECT_EQ(tagged_lines(r.ledger),
            (std::vector<std::string>{"1:o0", "2:e0", "1:o1", "2:e1", "1:status 0"}));
}

TEST(OrderShim, PythonPrintToStdoutAndStderr) {
  const Result r = run({kPython, "-c",
                        "import sys\n"
                        "for i in range(40):\n"
                        "    if i % 2 == 0: print('o%d' % i, flush=True)\n"
                        "    else: print('e%d' % i, file=sys.stderr, flush=True)\n"});
  ASSERT_TRUE(exited_ok(r.status)) << r.err;
  ASSERT_TRUE(r.ledger.exact()) << r.ledger.describe();
  std::vector<std::string> expected;
  for (int i = 0; i < 40; ++i)
    expected.push_back(i % 2 == 0 ? "1:o" + std::to_string(i) : "2:e" + std::to_string(i));
  EXPECT_EQ(tagged_lines(r.ledger), expected);
}

// subprocess closes every inherited descriptor but 0/1/2 (close_fds=True): the child reaches
// the shared state through /proc/<recorder>/fd/<fd> and is sequenced like its parent.
TEST(OrderShim, PythonSubprocessWithCloseFds) {
  SimRecorder rec(kShim);
  const std::string fd = std::to_string(rec.memfd());
  const std::string child =
      "import os, sys\n"
      "print('fd=%s' % os.path.exists('/proc/self/fd/" +
      fd +
      "'), flush=True)\n"
      "for i in range(6):\n"
      "    print('c%d' % i, file=(sys.stdout if i % 2 == 0 else sys.stderr), flush=True)\n";
  const std::string parent =
      "import subprocess, sys\n"
      "print('p-before', flush=True)\n"
      "subprocess.run([sys.executable, '-c', " +
      std::string("'''") + child + "'''" +
      "], close_fds=True, check=True)\n"
      "print('p-after', file=sys.stderr, flush=True)\n";
  const pid_t pid = rec.spawn({kPython, "-c", parent});
  rec.close_write_ends();
  const int status = rec.finish({pid}).at(0);
  ASSERT_FALSE(rec.timed_out);
  ASSERT_TRUE(exited_ok(status)) << rec.err;
  const Ledger l = cut(rec);
  ASSERT_TRUE(l.exact()) << l.describe();
  EXPECT_EQ(tagged_lines(l),
            (std::vector<std::string>{"1:p-before", "1:fd=False", "1:c0", "2:c1", "1:c2", "2:c3",
                                      "1:c4", "2:c5", "2:p-after"}));
  EXPECT_EQ(l.writes.front().pid, pid);
  EXPECT_NE(l.writes.at(1).pid, pid);  // the child's writes carry the child's pid
  EXPECT_EQ(l.writes.back().pid, pid);
}

// std::cout set up by a library's static initializer, before the shim's constructor, still
// holds glibc's original stdout FILE: the shim routes it to its own stream.
TEST(OrderShim, CoutSetUpBeforeTheShim) {
  const Result r = run({kCoutEarly, "4"});
  ASSERT_TRUE(exited_ok(r.status)) << r.err;
  ASSERT_TRUE(r.ledger.exact()) << r.ledger.describe();
  std::vector<std::string> expected;
  for (int i = 0; i < 4; ++i) {
    const std::string n = std::to_string(i);
    expected.insert(expected.end(),
                    {"1:lib cout " + n, "2:lib cerr " + n, "1:printf " + n, "2:fputs " + n});
  }
  EXPECT_EQ(tagged_lines(r.ledger), expected);
}

// sync_with_stdio(false): libstdc++'s own buffers, written with write(2) to fileno(stdout).
TEST(OrderShim, CoutUnsyncedWithStdio) {
  const Result r = run({kProbe, "cout-unsynced"});
  ASSERT_TRUE(exited_ok(r.status)) << r.err;
  ASSERT_TRUE(r.ledger.exact()) << r.ledger.describe();
  EXPECT_EQ(tagged_lines(r.ledger),
            (std::vector<std::string>{"1:u0", "2:v0", "1:u1", "2:v1", "1:u2", "2:v2"}));
}

// warn/warnx/error/perror/psignal write through stderr's FILE: sequenced, and their text is
// glibc's (compared with a run without the shim).
TEST(OrderShim, GlibcMessageHelpers) {
  const Result plain = run({kProbe, "glibc-messages"}, unpreloaded());
  const Result r = run({kProbe, "glibc-messages"});
  ASSERT_TRUE(exited_ok(r.status)) << r.err;
  ASSERT_TRUE(r.ledger.exact()) << r.ledger.describe();
  EXPECT_EQ(r.out, plain.out);
  EXPECT_EQ(r.err, plain.err);
  const std::string prog = "order_probe";
  EXPECT_EQ(tagged_lines(r.ledger),
            (std::vector<std::string>{
                "1:o1", "2:" + prog + ": warnx 1", "1:o2", "2:" + prog + ": warn: Broken pipe",
                "1:o3", "2:" + kProbe + ": error 3: Bad file descriptor", "1:o4",
                "2:perror: Invalid argument", "1:o5", "2:psignal: Interrupt", "1:o6"}));
}

TEST(OrderShim, StdioBuffersAreFlushedAndSequencedAtExit) {
  const Result r = run({kProbe, "exit-flush"});
  ASSERT_TRUE(exited_ok(r.status));
  ASSERT_TRUE(r.ledger.exact()) << r.ledger.describe();
  ASSERT_EQ(r.ledger.writes.size(), 2u);
  EXPECT_EQ(r.ledger.writes[0].stream, 2);
  EXPECT_EQ(r.ledger.writes[0].bytes, "err-1\n");
  EXPECT_EQ(r.ledger.writes[1].stream, 1);
  EXPECT_EQ(r.ledger.writes[1].bytes, "out-0\nout-1 out-2 (flushed at exit)");
}

// stdbuf -oL sets stdout line-buffered from its own preloaded constructor: the shim's stream
// buffers the same way, whichever constructor runs first.
TEST(OrderShim, StdbufLineBufferingIsKept) {
  const std::string stdbuf_lib = "/usr/libexec/coreutils/libstdbuf.so";
  if (!std::filesystem::exists(stdbuf_lib)) GTEST_SKIP() << "no " << stdbuf_lib;
  // What `stdbuf -oL` does (_STDBUF_O=L + its library preloaded), in both library orders.
  for (const std::string& preload : {stdbuf_lib + " " + kShim, kShim + " " + stdbuf_lib}) {
    SpawnOptions options;
    options.preload = false;
    options.extra_env = {"LD_PRELOAD=" + preload, "_STDBUF_O=L"};
    const Result r = run({kProbe, "exit-flush"}, options);
    ASSERT_TRUE(exited_ok(r.status)) << preload;
    ASSERT_TRUE(r.ledger.exact()) << preload << ": " << r.ledger.describe();
    ASSERT_EQ(r.ledger.writes.size(), 3u) << preload;
    EXPECT_EQ(r.ledger.writes[0].bytes, "out-0\n") << preload;
    EXPECT_EQ(r.ledger.writes[1].bytes, "err-1\n") << preload;
    EXPECT_EQ(r.ledger.writes[2].bytes, "out-1 out-2 (flushed at exit)") << preload;
  }
}

// A handler that writes while the main thread writes: were it to run inside the locked
// section it would deadlock on the lock or corrupt the sequence.
TEST(OrderShim, SignalHandlersNeverRunInsideTheLockedSection) {
  const Result r = run({kProbe, "signal-writes", "20000"});
  ASSERT_TRUE(exited_ok(r.status)) << r.status;
  ASSERT_TRUE(r.ledger.exact()) << r.ledger.describe();
  EXPECT_EQ(r.out.size(), 20000u * 5);
  EXPECT_GT(r.err.size(), 0u) << "the timer never fired: the test proves nothing";
  for (const Write& w : r.ledger.writes)
    ASSERT_EQ(w.bytes, w.stream == 1 ? "line\n" : "sig\n") << "seq " << w.seq;
}

TEST(OrderShim, ProcFallbackWhenTheMemfdWasNotInherited) {
  SpawnOptions options;
  options.inherit_memfd = false;
  const Result r = run({kWriter, "--procs", "2", "--threads", "2", "--lines", "20"}, options);
  ASSERT_TRUE(exited_ok(r.status));
  expect_counter_order(r.ledger, 2 * 2 * 20);
}

// ------------------------------------------------------------- unsequenced, never broken

TEST(OrderShim, StaticBinaryIsNotReachedAndItsBytesAreIntact) {
  const Result r = run({kWriterStatic, "--procs", "2", "--threads", "2", "--lines", "50"});
  ASSERT_TRUE(exited_ok(r.status));
  EXPECT_EQ(r.slots, 0u);
  std::vector<unsigned long long> counters;
  std::istringstream all(r.out + r.err);
  for (std::string line; std::getline(all, line);) counters.push_back(std::stoull(line));
  std::sort(counters.begin(), counters.end());
  ASSERT_EQ(counters.size(), 200u);
  for (size_t i = 0; i < counters.size(); ++i) ASSERT_EQ(counters[i], i);
}

TEST(OrderShim, AWrongHandshakeLeavesTheProgramAlone) {
  SimRecorder probe(kShim);
  const std::string good = probe.handshake();
  const std::string wrong_inode = good.substr(0, good.rfind(':') + 1) + "1";
  struct Case {
    std::string name;
    std::string value;
    std::function<void(SimRecorder&)> before;
  };
  const std::vector<Case> cases = {
      {"garbage", "not a handshake", {}},
      {"version 2", "2" + good.substr(1), {}},
      {"wrong inode", wrong_inode, {}},
      {"bad magic", "", [](SimRecorder& rec) { rec.state().magic = 0; }},
      {"bad version", "", [](SimRecorder& rec) { rec.state().version = 99; }},
      {"disabled", "", [](SimRecorder& rec) { rec.state().disabled.store(1); }},
  };
  for (const Case& c : cases) {
    SpawnOptions options;
    options.handshake_value = c.value;
    // The wrong-inode case must not find the memfd through /proc either.
    const Result r = run(
        {kWriter, "--procs", "2", "--threads", "2", "--lines", "20", "--modes", "write,stdio,cout"},
        options, c.before);
    ASSERT_TRUE(exited_ok(r.status)) << c.name;
    EXPECT_EQ(r.slots, 0u) << c.name;
    EXPECT_EQ(
        std::count(r.out.begin(), r.out.end(), '\n') + std::count(r.err.begin(), r.err.end(), '\n'),
        80)
        << c.name;
  }
}

std::vector<std::string> report_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::istringstream in(slurp(path));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Return values, errno (including after success), EFAULT for a bad buffer, stdio state:
// identical without the shim, with the shim but no recorder, and sequenced.
TEST(OrderShim, WhatTheProgramSeesIsTheRealCalls) {
  const std::string report = temp_path("semantics");
  std::vector<std::vector<std::string>> reports;
  std::vector<Result> results;
  for (const SpawnOptions& options :
       {unpreloaded(), preloaded_without_handshake(), SpawnOptions{}}) {
    results.push_back(run({kProbe, "semantics", report}, options));
    reports.push_back(report_lines(report));
    std::remove(report.c_str());
  }
  ASSERT_GT(reports[0].size(), 20u);
  for (size_t i = 1; i < reports.size(); ++i) {
    EXPECT_EQ(reports[i], reports[0]) << "run " << i;
    EXPECT_EQ(results[i].out, results[0].out) << "run " << i;
    EXPECT_EQ(results[i].err, results[0].err) << "run " << i;
    EXPECT_EQ(results[i].status, results[0].status) << "run " << i;
  }
  EXPECT_EQ(results[0].slots, 0u);
  EXPECT_EQ(results[1].slots, 0u);
  const Ledger& l = results[2].ledger;
  ASSERT_TRUE(l.exact()) << l.describe();  // every byte, perror's included, is sequenced
  // write(1, NULL, 5): sequenced, failed with EFAULT, no bytes.
  EXPECT_TRUE(std::any_of(l.writes.begin(), l.writes.end(),
                          [](const Write& w) { return w.result == -EFAULT; }));
}

TEST(OrderShim, PartialAndFailedNonBlockingWrites) {
  const std::string report = temp_path("nonblock");
  std::vector<std::vector<std::string>> reports;
  std::vector<std::vector<SlotCopy>> slots;
  for (const SpawnOptions& options : {unpreloaded(), SpawnOptions{}}) {
    SimRecorder rec(kShim);
    rec.drain_stdout = false;  // the pipe (64 KiB) fills up
    const pid_t pid = rec.spawn({kProbe, "nonblock", "100000", report}, options);
    rec.close_write_ends();
    int status = 0;
    ASSERT_TRUE(pump_until(
        rec, [&] { return waitpid(pid, &status, WNOHANG) == pid; }, 10000));
    ASSERT_TRUE(exited_ok(status));
    rec.finish({});
    reports.push_back(report_lines(report));
    slots.push_back(rec.slots);
    std::remove(report.c_str());
  }
  ASSERT_EQ(reports[0].size(), 2u);
  // A partial write: what fits in the pipe (64 KiB unless the system is short of pipe pages).
  long partial = 0;
  char tail[32] = {};
  ASSERT_EQ(std::sscanf(reports[0][0].c_str(), "write 0: %ld %31s", &partial, tail), 2);
  EXPECT_GT(partial, 0);
  EXPECT_LT(partial, 100000);
  EXPECT_STREQ(tail, "untouched(1234)");
  EXPECT_EQ(reports[0][1], "write 1: -1 EAGAIN");
  EXPECT_EQ(reports[1], reports[0]);
  EXPECT_TRUE(slots[0].empty());
  ASSERT_EQ(slots[1].size(), 2u);
  EXPECT_EQ(slots[1][0].requested, 100000u);
  EXPECT_EQ(slots[1][0].result, partial);
  EXPECT_EQ(slots[1][1].requested, 100000u);
  EXPECT_EQ(slots[1][1].result, -EAGAIN);
}

struct EpipeRun {
  int status = 0;
  std::vector<std::string> report;
  std::vector<SlotCopy> slots;
};

EpipeRun run_epipe(const std::string& how, const SpawnOptions& options) {
  const std::string report = temp_path("epipe-" + how);
  SimRecorder rec(kShim);
  rec.close_stdout_reader();
  const pid_t pid = rec.spawn({kProbe, "epipe", how, report}, options);
  rec.close_write_ends();
  EpipeRun r;
  r.status = rec.finish({pid}).at(0);
  EXPECT_FALSE(rec.timed_out);
  r.report = report_lines(report);
  r.slots = rec.slots;
  std::remove(report.c_str());
  return r;
}

// SIGPIPE is raised by the kernel inside the real write, while the shim blocks signals: it is
// delivered when the mask is restored, after the lock is released. The program dies of it,
// or, ignoring it, gets EPIPE; a handler has run by the time write returns.
TEST(OrderShim, EpipeAndSigpipeAreTheRealOnes) {
  for (const std::string how : {"default", "ignore", "handler"}) {
    const EpipeRun plain = run_epipe(how, unpreloaded());
    const EpipeRun shim = run_epipe(how, SpawnOptions{});
    EXPECT_EQ(shim.status, plain.status) << how;
    EXPECT_EQ(shim.report, plain.report) << how;
    ASSERT_FALSE(shim.slots.empty()) << how;
    EXPECT_EQ(shim.slots[0].state, order::kDone) << how;
    EXPECT_EQ(shim.slots[0].result, -EPIPE) << how;
  }
  const EpipeRun killed = run_epipe("default", SpawnOptions{});
  ASSERT_TRUE(WIFSIGNALED(killed.status));
  EXPECT_EQ(WTERMSIG(killed.status), SIGPIPE);
  const EpipeRun handled = run_epipe("handler", SpawnOptions{});
  EXPECT_EQ(handled.report, (std::vector<std::string>{"write: -1 EPIPE sigpipes=1",
                                                      "fflush: -1 EPIPE ferror=1 sigpipes=2"}));
}

TEST(OrderShim, FreopenHandsTheStreamBackToGlibc) {
  const std::string file = temp_path("freopen");
  const Result r = run({kProbe, "freopen", file});
  ASSERT_TRUE(exited_ok(r.status));
  ASSERT_TRUE(r.ledger.exact()) << r.ledger.describe();
  EXPECT_EQ(tagged_lines(r.ledger),
            (std::vector<std::string>{"1:before freopen", "2:stderr after freopen"}));
  EXPECT_EQ(slurp(file), "into the file, fileno=1\n");
  std::remove(file.c_str());
}

// fopencookie streams are byte-oriented: wide output hands stdout back to glibc's stream
// (unsequenced from then on) instead of failing.
TEST(OrderShim, WideOutputStillWorks) {
  const Result plain = run({kProbe, "wide"}, unpreloaded());
  const Result shim = run({kProbe, "wide"});
  ASSERT_TRUE(exited_ok(shim.status));
  EXPECT_EQ(plain.out, "wide 1\n");
  EXPECT_EQ(shim.out, plain.out);
  EXPECT_EQ(shim.err, plain.err);
  EXPECT_EQ(plain.err, "narrow stderr first\nfwide before=0 wprintf=7 fwide after=1\n");
  EXPECT_TRUE(shim.ledger.problems.empty()) << shim.ledger.describe();
  EXPECT_EQ(shim.ledger.rest_out, "wide 1\n");  // unsequenced
  EXPECT_TRUE(shim.ledger.rest_err.empty());
}

// ---------------------------------------------------------------- the lock and the ring

// A writer SIGKILLed while it holds the lock (blocked in a 1 MiB write to a full pipe): the
// next writer gets EOWNERDEAD, marks the dead writer's Pending slot Abandoned, and goes on.
TEST(OrderShim, AWriterKilledHoldingTheLockWedgesNobody) {
  SimRecorder rec(kShim);
  rec.drain_stdout = false;
  const pid_t victim = rec.spawn({kProbe, "big", "1048576"});
  ASSERT_TRUE(pump_until(
      rec, [&] { return rec.head() == 1 && rec.state().ring[0].state.load() == order::kPending; },
      10000));
  EXPECT_EQ(rec.state().ring[0].pid, victim);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // blocked in the real write
  ASSERT_EQ(kill(victim, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(victim, &status, 0), victim);
  const pid_t next = rec.spawn({kProbe, "line", "after"});
  rec.close_write_ends();
  status = rec.finish({next}, 10000).at(0);
  ASSERT_FALSE(rec.timed_out) << "the next writer is wedged";
  ASSERT_TRUE(exited_ok(status));
  ASSERT_EQ(rec.slots.size(), 2u);
  EXPECT_EQ(rec.slots[0].state, order::kAbandoned);
  EXPECT_EQ(rec.slots[0].pid, victim);
  EXPECT_EQ(rec.slots[1].state, order::kDone);
  EXPECT_EQ(rec.slots[1].pid, next);
  EXPECT_EQ(rec.slots[1].stream, 2);
  EXPECT_EQ(rec.slots[1].result, 6);
  EXPECT_EQ(rec.slots[1].head, "after\n");
  EXPECT_EQ(rec.err, "after\n");
  EXPECT_GT(rec.out.size(), 0u);  // the victim's partial write: unsequenced bytes
  EXPECT_LT(rec.out.size(), 1048576u);
  EXPECT_EQ(rec.out.find_first_not_of('b'), std::string::npos);
}

// The ring holds kRingSlots writes: a writer waits (holding the lock) until the consumer
// moves `tail`, then everything is still exact.
TEST(OrderShim, AFullRingWaitsForTheConsumer) {
  SimRecorder rec(kShim);
  rec.hold_tail = true;
  const pid_t pid = rec.spawn({kWriter, "--procs", "2", "--threads", "2", "--lines", "1500"});
  rec.close_write_ends();
  ASSERT_TRUE(pump_until(
      rec, [&] { return rec.head() == order::kRingSlots; }, 10000));
  // Still full a while later: the writers wait instead of overwriting unconsumed slots.
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  while (std::chrono::steady_clock::now() < until) rec.pump(1);
  EXPECT_EQ(rec.head(), order::kRingSlots);
  EXPECT_EQ(rec.tail(), 0u);
  rec.hold_tail = false;
  const int status = rec.finish({pid}).at(0);
  ASSERT_FALSE(rec.timed_out);
  ASSERT_TRUE(exited_ok(status));
  expect_counter_order(cut(rec), 2 * 2 * 1500);
}

// Writers waiting for ring space give up when the recorder sets `disabled` or is gone: the
// rest of their writes are unsequenced, in order after the sequenced ones, bytes intact.
TEST(OrderShim, WaitingWritersGiveUpWhenDisabledOrTheRecorderIsGone) {
  for (const bool disable : {true, false}) {
    SimRecorder rec(kShim);
    SpawnOptions options;
    if (!disable) {  // a recorder pid that no longer exists
      pid_t gone = -1;
      char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
      ASSERT_EQ(posix_spawn(&gone, argv[0], nullptr, nullptr, argv, environ), 0);
      ASSERT_EQ(waitpid(gone, nullptr, 0), gone);
      rec.state().recorder_pid = gone;
      const std::string hs = rec.handshake();
      options.handshake_value = "1:" + std::to_string(gone) + hs.substr(hs.find(':', 2));
    }
    rec.hold_tail = true;
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid =
        rec.spawn({kWriter, "--procs", "1", "--threads", "1", "--lines", "6000"}, options);
    rec.close_write_ends();
    ASSERT_TRUE(pump_until(
        rec, [&] { return rec.head() == order::kRingSlots; }, 10000));
    if (disable) rec.state().disabled.store(1);
    const int status = rec.finish({pid}).at(0);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(rec.timed_out);
    ASSERT_TRUE(exited_ok(status));
    EXPECT_LT(elapsed, std::chrono::seconds(3)) << "gave up by the 5 s timeout instead";
    const Ledger l = cut(rec);
    ASSERT_TRUE(l.problems.empty()) << l.describe();
    ASSERT_EQ(l.writes.size(), order::kRingSlots);
    // The unsequenced rest: the later counters, in order within each pipe.
    std::vector<unsigned long long> rest;
    for (const std::string* text : {&l.rest_out, &l.rest_err}) {
      std::istringstream in(*text);
      for (std::string line; std::getline(in, line);) rest.push_back(std::stoull(line));
    }
    std::sort(rest.begin(), rest.end());
    ASSERT_EQ(rest.size(), 6000u - order::kRingSlots);
    for (size_t i = 0; i < rest.size(); ++i) ASSERT_EQ(rest[i], order::kRingSlots + i);
  }
}

}  // namespace
}  // namespace ctrecord::order_test
