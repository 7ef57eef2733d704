// Tests of the ctest-trace CLI run in-process (trace_cli_main with fds 1/2 redirected to files):
// output shapes, exit codes for complete/damaged/missing traces and usage errors, and a quiet
// death by SIGPIPE when stdout goes away.
#include "ctharness/trace_cli.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <csignal>
#include <string>
#include <vector>

#include "ctharness/base64.hpp"
#include "trace_test_util.hpp"

namespace {

struct CliResult {
  int status = -1;
  std::string out;
  std::string err;
};

// Runs trace_cli_main(argv) with fd 1 and fd 2 redirected into temporary files.
CliResult run_cli(std::vector<std::string> args) {
  ctrtest::TempFile out_file("out");
  ctrtest::TempFile err_file("err");
  args.insert(args.begin(), "ctest-trace");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int saved_out = ::dup(1);
  const int saved_err = ::dup(2);
  {
    ctrecord::UniqueFd out = ctrtest::open_for_writing(out_file.path());
    ctrecord::UniqueFd err = ctrtest::open_for_writing(err_file.path());
    ::dup2(out.get(), 1);
    ::dup2(err.get(), 2);
  }
  CliResult r;
  r.status = ctharness::trace_cli_main(static_cast<int>(args.size()), argv.data());
  ::dup2(saved_out, 1);
  ::dup2(saved_err, 2);
  ::close(saved_out);
  ::close(saved_err);
  r.out = ctrtest::read_file(out_file.path());
  r.err = ctrtest::read_file(err_file.path());
  return r;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class TraceCli : public ::testing::Test {
 protected:
  void SetUp() override { ctrtest::write_trace(trace_.path(), ctrtest::every_kind(), 2); }
  ctrtest::TempFile trace_;
};

TEST_F(TraceCli, EventsAsJsonLines) {
  const auto r = run_cli({"events", trace_.path()});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  std::vector<std::string> lines;
  for (std::size_t pos = 0; pos < r.out.size();) {
    const auto nl = r.out.find('\n', pos);
    ASSERT_NE(nl, std::string::npos);
    lines.push_back(r.out.substr(pos, nl - pos));
    pos = nl + 1;
  }
  ASSERT_EQ(lines.size(), ctrtest::every_kind().size());
  EXPECT_TRUE(contains(lines[0],
                       "{\"kind\":\"start\",\"argv\":[\"python3\",\"a\\u0000b\","
                       "{\"base64\":\"//4gbm90IHV0Zjg=\"},\"\"]"))
      << lines[0];
  EXPECT_TRUE(contains(lines[0], "{\"name\":\"API_TOKEN\",\"value\":\"\",\"redacted\":true}"));
  EXPECT_TRUE(contains(lines[0], "\"isatty\":[true,false,true]"));
  EXPECT_EQ(lines[1],
            "{\"kind\":\"io\",\"stream\":\"stderr\",\"t_ns\":12345,\"producer\":"
            "18364758544493064720,\"context\":\"tests/test_x.py::test_y\",\"size\":4,"
            "\"text\":\"x\\u0000y\\n\"}");
  EXPECT_EQ(lines[2],
            "{\"kind\":\"stream_closed\",\"stream\":\"stdin\",\"t_ns\":77,\"reason\":"
            "\"console-closed\"}");
  EXPECT_EQ(lines[3],
            "{\"kind\":\"note\",\"t_ns\":88,\"level\":\"warning\",\"text\":\"grace period "
            "expired\"}");
  EXPECT_EQ(lines[4],
            "{\"kind\":\"test\",\"t_ns\":91,\"phase\":\"finished\",\"test_id\":"
            "\"tests/t.py::test_a[1]\",\"outcome\":\"failed\",\"duration_ns\":12345,"
            "\"producer\":4242}");
  EXPECT_EQ(lines[5],
            "{\"kind\":\"captured\",\"t_ns\":92,\"test_id\":\"tests/t.py::test_a[1]\","
            "\"section\":\"stdout call\",\"producer\":4242,\"size\":3,\"text\":"
            "\"o\\u0000k\"}");
  EXPECT_EQ(lines[6],
            "{\"kind\":\"terminal\",\"t_ns\":93,\"change\":\"opened\",\"mode\":\"pty\","
            "\"merged\":true,\"term\":\"xterm-256color\",\"rows\":24,\"cols\":80,"
            "\"xpixel\":640,\"ypixel\":480}");
  EXPECT_EQ(lines[7],
            "{\"kind\":\"terminal\",\"t_ns\":94,\"change\":\"resized\",\"rows\":50,"
            "\"cols\":132,\"xpixel\":0,\"ypixel\":0}");
  EXPECT_EQ(lines[8],
            "{\"kind\":\"exit\",\"t_ns\":999,\"exited\":false,\"code\":-3,\"signal\":9,"
            "\"core_dumped\":true,\"status\":137,\"spawn_error\":\"spawn went wrong\","
            "\"duration_ns\":18446744073709551615,\"max_rss_kib\":-1,\"user_cpu_us\":17,"
            "\"sys_cpu_us\":1099511627776}");
  EXPECT_EQ(lines[9],
            "{\"kind\":\"end\",\"t_ns\":1000,\"counters\":{\"bytes\":{\"stdin\":1,\"stdout\":2,"
            "\"stderr\":3},\"chunks\":{\"stdin\":4,\"stdout\":5,\"stderr\":6},"
            "\"dropped_chunks\":7,\"dropped_bytes\":8,\"queue_high_water\":9}}");
}

TEST_F(TraceCli, InvalidUtf8PayloadIsBase64) {
  ctrtest::TempFile file;
  ctrtest::write_trace(file.path(),
                       {ctrtest::sample_chunk(ctrecord::Stream::Stdout, "\xff\x00\x01")});
  const auto r = run_cli({"events", file.path()});
  EXPECT_EQ(r.status, 1);  // no end record
  EXPECT_TRUE(contains(r.out, "\"size\":1,\"base64\":\"/w==\"}")) << r.out;
  EXPECT_FALSE(contains(r.out, "\"text\""));
}

TEST_F(TraceCli, CatWritesExactBytesOfChosenStreams) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  ctrtest::TempFile file;
  ctrtest::write_trace(
      file.path(), {ctrtest::sample_chunk(ctrecord::Stream::Stdout, all),
                    ctrtest::sample_chunk(ctrecord::Stream::Stdin, "IN"),
                    ctrtest::sample_chunk(ctrecord::Stream::Stderr, "ERR"),
                    ctrtest::sample_chunk(ctrecord::Stream::Stdout, ""), ctrtest::sample_end()});
  auto r = run_cli({"cat", file.path()});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, all + "ERR");
  r = run_cli({"cat", "--stream", "stdin", file.path(), "--stream=stderr"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "INERR");
  r = run_cli({"cat", "--stream", "stdtoast", file.path()});
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(contains(r.err, "ctest-trace: error: --stream: unknown stream 'stdtoast'")) << r.err;
}

TEST_F(TraceCli, InfoJsonShape) {
  const auto r = run_cli({"info", "--json", trace_.path()});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(contains(r.out,
                       "\"format_version\":1,\"complete\":true,\"error\":null,"
                       "\"error_offset\":null,\"frames\":5,"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "\"start\":{\"argv\":["));
  EXPECT_TRUE(contains(r.out, "\"exit\":{\"t_ns\":999,"));
  EXPECT_TRUE(contains(r.out, "\"end\":{\"t_ns\":1000,"));
  EXPECT_TRUE(contains(r.out,
                       "\"terminal\":{\"mode\":\"pty\",\"merged\":true,\"term\":\"xterm-256color\","
                       "\"rows\":24,\"cols\":80,\"xpixel\":640,\"ypixel\":480,\"resizes\":1},"))
      << r.out;
  EXPECT_TRUE(contains(r.out,
                       "\"streams\":{\"stdin\":{\"bytes\":0,\"chunks\":0},\"stdout\":{"
                       "\"bytes\":0,\"chunks\":0},\"stderr\":{\"bytes\":4,\"chunks\":1}}"));
  EXPECT_TRUE(contains(r.out,
                       "\"notes\":[{\"level\":\"warning\",\"text\":\"grace period "
                       "expired\"}],\"cuts\":[]}\n"));
}

TEST_F(TraceCli, InfoText) {
  const auto r = run_cli({"info", trace_.path()});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "status:     complete\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "command:    python3 $'a\\x00b' $'\\xff\\xfe not utf8' ''\n"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "exit:       status 137 (could not start: spawn went wrong)\n"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "started:    2024-05-01T12:51:30.123Z\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "stderr:     4 bytes in 1 chunks\n"));
  EXPECT_TRUE(contains(r.out, "note:       [warning] grace period expired\n"));
  EXPECT_TRUE(contains(r.out,
                       "terminal:   pty (stdout and stderr merged), 80x24 (640x480 px), TERM "
                       "xterm-256color, 1 resize\n"))
      << r.out;
}

TEST_F(TraceCli, PlayWritesEachStreamToItsOwnFd) {
  const auto r = run_cli({"play", "--max-wait", "0", trace_.path()});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, std::string("x\0y\n", 4));
}

TEST_F(TraceCli, PlayAndExportUsageErrors) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"play", "--speed", "0", trace_.path()},
        {"play", "--speed", "fast", trace_.path()},
        {"play", "--speed", "nan", trace_.path()},
        {"play", "--max-wait", "-1", trace_.path()},
        {"export", trace_.path()},
        {"export", "--format", "svg", trace_.path()},
        {"export", "--format", "asciicast"}}) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.status, ctharness::kTraceExitUsage) << args[1] << " " << args[2] << ": " << r.err;
    EXPECT_EQ(r.out, "");
  }
  const auto missing = run_cli({"export", "--format", "asciicast", "/nonexistent/t.ctrace"});
  EXPECT_EQ(missing.status, ctharness::kTraceExitEnvironment) << missing.err;
}

TEST(TraceCliPipes, InfoOfAPipeRecordingHasNoTerminal) {
  ctrtest::TempFile trace;
  ctrtest::write_trace(trace.path(),
                       {ctrtest::sample_start(), ctrtest::sample_exit(), ctrtest::sample_end()});
  const auto json = run_cli({"info", "--json", trace.path()});
  EXPECT_TRUE(contains(json.out, "\"terminal\":null,")) << json.out;
  const auto text = run_cli({"info", trace.path()});
  EXPECT_FALSE(contains(text.out, "terminal")) << text.out;
}

// An exact-order recording (ctest-record --order=exact): stdin (always read order), exact
// stdout and stderr chunks, one of them two writes, and an unsequenced chunk.
std::vector<ctrecord::TraceEvent> exact_trace_events() {
  using ctrecord::Stream;
  return {ctrtest::sample_start(),
          ctrtest::sample_chunk(Stream::Stdin, "in", 3),
          ctrtest::exact_chunk(Stream::Stdout, "one\n", 1, 1, 4242),
          ctrtest::exact_chunk(Stream::Stderr, "two\nthree\n", 2, 2, 4243),
          ctrtest::unsequenced_chunk(Stream::Stderr, "static\n"),
          ctrtest::sample_exit(),
          ctrtest::sample_end()};
}

TEST(TraceCliOrder, EventsShowTheOrderFieldsOfAnExactTrace) {
  ctrtest::TempFile trace;
  ctrtest::write_trace(trace.path(), exact_trace_events());
  const auto r = run_cli({"events", trace.path()});
  EXPECT_EQ(r.status, 0) << r.err;
  std::vector<std::string> lines;
  for (std::size_t pos = 0, nl = 0; (nl = r.out.find('\n', pos)) != std::string::npos;
       pos = nl + 1) {
    lines.push_back(r.out.substr(pos, nl - pos));
  }
  ASSERT_EQ(lines.size(), exact_trace_events().size()) << r.out;
  EXPECT_EQ(lines[1],
            "{\"kind\":\"io\",\"stream\":\"stdin\",\"t_ns\":3,\"producer\":"
            "18364758544493064720,\"context\":\"tests/test_x.py::test_y\",\"size\":2,"
            "\"text\":\"in\"}");
  EXPECT_EQ(lines[2],
            "{\"kind\":\"io\",\"stream\":\"stdout\",\"t_ns\":12345,\"producer\":"
            "18364758544493064720,\"order\":\"exact\",\"seq\":1,\"writes\":1,\"tid\":4242,"
            "\"context\":\"tests/test_x.py::test_y\",\"size\":4,\"text\":\"one\\n\"}");
  EXPECT_TRUE(contains(lines[3], "\"order\":\"exact\",\"seq\":2,\"writes\":2,\"tid\":4243,"))
      << lines[3];
  EXPECT_EQ(lines[4],
            "{\"kind\":\"io\",\"stream\":\"stderr\",\"t_ns\":12345,\"producer\":"
            "18364758544493064720,\"order\":\"unsequenced\",\"context\":"
            "\"tests/test_x.py::test_y\",\"size\":7,\"text\":\"static\\n\"}");
  EXPECT_FALSE(contains(r.out, "io_order")) << "io_order is part of its io event, not an event";
}

TEST(TraceCliOrder, InfoShowsTheOrderOfAnExactTrace) {
  ctrtest::TempFile trace;
  auto events = exact_trace_events();
  const auto text = [&trace] { return run_cli({"info", trace.path()}).out; };
  ctrtest::write_trace(trace.path(), events);
  EXPECT_TRUE(contains(text(),
                       "\norder:      exact (2 chunks in 3 writes; 1 chunk / 7 bytes "
                       "unsequenced)\n"))
      << text();
  const auto json = run_cli({"info", "--json", trace.path()});
  EXPECT_EQ(json.status, 0) << json.err;
  EXPECT_TRUE(contains(json.out,
                       "\"order\":{\"mode\":\"exact\",\"exact_chunks\":2,\"exact_bytes\":14,"
                       "\"writes\":3,\"unsequenced_chunks\":1,\"unsequenced_bytes\":7,"
                       "\"read_chunks\":0,\"read_bytes\":0,\"out_of_sequence\":0}"))
      << json.out;

  // Everything sequenced; then a chunk that comes after a higher sequence number.
  events.erase(events.begin() + 4);
  ctrtest::write_trace(trace.path(), events);
  EXPECT_TRUE(contains(text(), "order:      exact (2 chunks in 3 writes; none unsequenced)\n"))
      << text();
  events.insert(events.begin() + 4, ctrtest::exact_chunk(ctrecord::Stream::Stdout, "late\n", 1));
  ctrtest::write_trace(trace.path(), events);
  EXPECT_TRUE(contains(text(),
                       "order:      exact (3 chunks in 4 writes; none unsequenced; 1 "
                       "chunk OUT OF SEQUENCE)\n"))
      << text();
}

TEST(TraceCliOrder, InfoShowsReadOrderOnlyWhereStdoutAndStderrInterleave) {
  using ctrecord::Stream;
  ctrtest::TempFile trace;
  ctrtest::write_trace(trace.path(),
                       {ctrtest::sample_start(), ctrtest::sample_chunk(Stream::Stdout, "a\n"),
                        ctrtest::sample_chunk(Stream::Stderr, "b\n"), ctrtest::sample_end()});
  auto r = run_cli({"info", trace.path()});
  EXPECT_TRUE(contains(r.out,
                       "\norder:      read (stdout and stderr interleaved in the order the "
                       "recorder read them, not necessarily the order they were written)\n"))
      << r.out;
  r = run_cli({"info", "--json", trace.path()});
  EXPECT_TRUE(contains(r.out, "\"order\":{\"mode\":\"read\",\"exact_chunks\":0,")) << r.out;
  EXPECT_TRUE(contains(r.out, "\"read_chunks\":2,\"read_bytes\":4,")) << r.out;

  // One output stream (every_kind has stderr only): nothing interleaves, no line.
  ctrtest::write_trace(trace.path(), ctrtest::every_kind());
  r = run_cli({"info", trace.path()});
  EXPECT_FALSE(contains(r.out, "\norder:")) << r.out;  // not "recorder:"
}

TEST_F(TraceCli, DamagedTracePrintsWhatItCanAndNamesTheOffset) {
  std::string bytes = ctrtest::read_file(trace_.path());
  bytes.resize(bytes.size() - 3);
  ctrtest::write_file(trace_.path(), bytes);
  auto r = run_cli({"info", trace_.path()});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.out, "status:     incomplete: at byte offset ")) << r.out;
  EXPECT_TRUE(contains(r.err, "ctest-trace: error: " + trace_.path() + ": at byte offset "))
      << r.err;
  EXPECT_TRUE(contains(r.err, "truncated frame")) << r.err;
  r = run_cli({"events", trace_.path()});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.out, "\"kind\":\"note\"")) << r.out;  // frames 1 and 2 are whole
  EXPECT_FALSE(contains(r.out, "\"kind\":\"exit\""));
  r = run_cli({"info", "--json", trace_.path()});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.out, "\"complete\":false,\"error\":\"at byte offset ")) << r.out;
  EXPECT_TRUE(contains(r.out, "\"exit\":null,\"end\":null")) << r.out;
}

TEST_F(TraceCli, NotATraceMissingFileAndUsage) {
  ctrtest::TempFile junk;
  ctrtest::write_file(junk.path(), "hello world, not a trace");
  auto r = run_cli({"info", junk.path()});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(contains(r.err, "not a ctrace file")) << r.err;
  r = run_cli({"cat", "/nonexistent/x.ctrace"});
  EXPECT_EQ(r.status, 3);
  EXPECT_TRUE(contains(r.err, "open /nonexistent/x.ctrace: No such file or directory")) << r.err;
  EXPECT_EQ(run_cli({}).status, 2);
  r = run_cli({"frobnicate", trace_.path()});
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(contains(r.err, "unknown command 'frobnicate'")) << r.err;
  r = run_cli({"info", "--jsn", trace_.path()});
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(contains(r.err, "jsn")) << r.err;
  EXPECT_EQ(run_cli({"info"}).status, 2);
  EXPECT_EQ(run_cli({"info", trace_.path(), trace_.path()}).status, 2);
  r = run_cli({"--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(contains(r.out, "ctest-trace cat"));
  r = run_cli({"cat", "--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(contains(r.out, "--stream"));
}

TEST_F(TraceCli, ClosedStdoutEndsBySigpipeQuietly) {
  ctrtest::TempFile file;
  ctrtest::write_trace(file.path(),
                       {ctrtest::sample_chunk(ctrecord::Stream::Stdout, std::string(1u << 20, 'x')),
                        ctrtest::sample_end()});
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);  // nobody will ever read: the first write gets EPIPE
    ::dup2(fds[1], 1);
    ::close(fds[1]);
    std::string path = file.path();
    char name[] = "ctest-trace";
    char cat[] = "cat";
    char* argv[] = {name, cat, path.data(), nullptr};
    ::_exit(ctharness::trace_cli_main(3, argv));
  }
  ::close(fds[0]);
  ::close(fds[1]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE) << status;
}

}  // namespace
