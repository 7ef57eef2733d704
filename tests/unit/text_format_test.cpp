// Tests of the human-readable renderings used by `ctest-trace info`.
#include "ctharness/text_format.hpp"

#include <gtest/gtest.h>

namespace {

using namespace ctharness;

TEST(TextFormat, ShellQuote) {
  EXPECT_EQ(shell_quote("plain-word_1.txt"), "plain-word_1.txt");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("two words"), "'two words'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("caf\xc3\xa9"), "'caf\xc3\xa9'");
  EXPECT_EQ(shell_quote("a\nb'\\"), "$'a\\x0ab\\'\\\\'");
  EXPECT_EQ(shell_quote("\xff"), "$'\\xff'");
  EXPECT_EQ(shell_join({"ls", "-l", "my dir"}), "ls -l 'my dir'");
}

TEST(TextFormat, Printable) {
  EXPECT_EQ(printable("ok \xc3\xa9"), "ok \xc3\xa9");
  EXPECT_EQ(printable("bell\a\x1b[31m"), "bell\\x07\\x1b[31m");
  EXPECT_EQ(printable("bad \xff"), "bad \\xff");
}

TEST(TextFormat, TimesAndDurations) {
  EXPECT_EQ(format_utc_time(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_utc_time(1714567890123456789), "2024-05-01T12:51:30.123Z");
  EXPECT_EQ(format_utc_time(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_duration(1234567890), "1.234 s");
  EXPECT_EQ(format_duration(125500000000), "2 min 5.500 s");
  EXPECT_EQ(format_duration(3723000000000), "1 h 2 min 3.000 s");
}

TEST(TextFormat, DescribeExit) {
  ctrecord::ExitEvent e;
  e.exited = true;
  e.code = 0;
  e.status = 0;
  EXPECT_EQ(describe_exit(e), "status 0 (exit code 0)");
  e.exited = false;
  e.signal = 9;
  e.status = 137;
  EXPECT_EQ(describe_exit(e), "status 137 (killed by signal 9, SIGKILL)");
  e.signal = 11;
  e.status = 139;
  e.core_dumped = true;
  EXPECT_EQ(describe_exit(e), "status 139 (killed by signal 11, SIGSEGV, core dumped)");
  e.spawn_error = "execvp nope: No such file or directory";
  e.status = 127;
  EXPECT_EQ(describe_exit(e),
            "status 127 (could not start: execvp nope: No such file or directory)");
  EXPECT_EQ(signal_name(77), "signal 77");
}

}  // namespace
