// ctest-record's command line: options end at the first non-option word, values, errors,
// and the default trace path.
#include "ctharness/record_cli.hpp"

#include <gtest/gtest.h>

#include "ctrecord/errors.hpp"

using ctharness::parse_record_args;
using ctharness::RecordCliOptions;

namespace {
RecordCliOptions parse(std::vector<const char*> words) {
  words.insert(words.begin(), "ctest-record");
  return parse_record_args(static_cast<int>(words.size()), words.data());
}
using Words = std::vector<std::string>;
}  // namespace

TEST(RecordCli, OptionsEndAtTheFirstNonOptionWord) {
  const auto o = parse({"-o", "t.ctrace", "pytest", "-v", "--output", "x"});
  ASSERT_TRUE(o.output);
  EXPECT_EQ(*o.output, "t.ctrace");
  EXPECT_EQ(o.command, (Words{"pytest", "-v", "--output", "x"}));
}

TEST(RecordCli, DoubleDashEndsOptions) {
  const auto o = parse({"-q", "--", "-weird-program", "--help"});
  EXPECT_TRUE(o.quiet);
  EXPECT_FALSE(o.help);
  EXPECT_EQ(o.command, (Words{"-weird-program", "--help"}));
}

TEST(RecordCli, ValueFormsAndClusters) {
  EXPECT_EQ(*parse({"--output=a.ctrace", "true"}).output, "a.ctrace");
  EXPECT_EQ(*parse({"-oa.ctrace", "true"}).output, "a.ctrace");
  const auto o = parse({"-qno", "b.ctrace", "true"});
  EXPECT_TRUE(o.quiet);
  EXPECT_TRUE(o.no_stdin);
  EXPECT_EQ(*o.output, "b.ctrace");
  EXPECT_EQ(o.command, (Words{"true"}));
  EXPECT_DOUBLE_EQ(parse({"--grace", "0.5", "true"}).grace_seconds, 0.5);
}

TEST(RecordCli, TimeoutAndKillOrphans) {
  const auto plain = parse({"true"});
  EXPECT_FALSE(plain.timeout_seconds.has_value());
  EXPECT_FALSE(plain.kill_orphans);
  const auto o = parse({"--timeout", "2.5", "--kill-orphans", "sleep", "--timeout"});
  EXPECT_DOUBLE_EQ(*o.timeout_seconds, 2.5);
  EXPECT_TRUE(o.kill_orphans);
  EXPECT_EQ(o.command, (Words{"sleep", "--timeout"}));  // the command's own words stay its own
  for (const char* bad : {"0", "-3", "inf", "nan", "1e9"}) {
    EXPECT_THROW(parse({"--timeout", bad, "true"}), ctrecord::UsageError) << bad;
  }
}

TEST(RecordCli, CaptureFlags) {
  EXPECT_FALSE(parse({"true"}).capture_io.has_value());
  EXPECT_EQ(parse({"--no-capture-io", "true"}).capture_io, false);
  EXPECT_EQ(parse({"--capture-io", "true"}).capture_io, true);
  EXPECT_THROW(parse({"--capture-io", "--no-capture-io", "true"}), ctrecord::UsageError);
}

TEST(RecordCli, UsageErrorsNameTheProblem) {
  auto message_of = [](std::vector<const char*> words) -> std::string {
    try {
      parse(std::move(words));
    } catch (const ctrecord::UsageError& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_NE(message_of({"--bogus", "true"}).find("--bogus"), std::string::npos);
  EXPECT_NE(message_of({}).find("no command"), std::string::npos);
  EXPECT_NE(message_of({"--grace", "-1", "true"}).find("--grace"), std::string::npos);
  EXPECT_NE(message_of({"--grace", "soon", "true"}).find("grace"), std::string::npos);
  EXPECT_NE(message_of({"-o"}).find("output"), std::string::npos);
  EXPECT_NE(message_of({"--timeout", "0", "true"}).find("--timeout takes a number of seconds"),
            std::string::npos);
}

TEST(RecordCli, HelpAndVersionNeedNoCommand) {
  EXPECT_TRUE(parse({"--help"}).help);
  EXPECT_TRUE(parse({"-h"}).help);
  EXPECT_TRUE(parse({"--version"}).version);
  EXPECT_NE(ctharness::record_help_text().find("--no-capture-io"), std::string::npos);
}

TEST(RecordCli, DefaultTracePath) {
  const std::time_t t = 1795707192;  // 2026-11-26T15:33:12Z
  EXPECT_EQ(ctharness::default_trace_path("/usr/bin/pytest", nullptr, t, 42),
            "ctest-traces/pytest-20261126T153312Z-42.ctrace");
  EXPECT_EQ(ctharness::default_trace_path("./a b:c", "/tmp/traces", t, 7),
            "/tmp/traces/a_b_c-20261126T153312Z-7.ctrace");
  EXPECT_EQ(ctharness::default_trace_path("dir/", "", t, 1),
            "ctest-traces/command-20261126T153312Z-1.ctrace");
}

TEST(RecordCli, MaxTraceSizeTakesSuffixes) {
  EXPECT_EQ(parse({"--max-trace-size", "100M", "true"}).max_trace_size, 100u << 20);
  EXPECT_EQ(parse({"--max-trace-size", "1G", "true"}).max_trace_size, 1ull << 30);
  EXPECT_EQ(parse({"--max-trace-size", "8K", "true"}).max_trace_size, 8192u);
  EXPECT_EQ(parse({"--max-trace-size", "5000", "true"}).max_trace_size, 5000u);
  EXPECT_FALSE(parse({"true"}).max_trace_size);
  for (const char* bad : {"", "M", "10X", "-1", "1.5G", "100", "99999999999999999"}) {
    try {
      parse({"--max-trace-size", bad, "true"});
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const ctrecord::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("--max-trace-size"), std::string::npos) << e.what();
    }
  }
}

TEST(RecordCli, KeepNeedsADefaultPathAndAtLeastOne) {
  EXPECT_EQ(parse({"--keep", "5", "true"}).keep, 5u);
  EXPECT_THROW(parse({"--keep", "0", "true"}), ctrecord::UsageError);
  try {
    parse({"--keep", "3", "-o", "x.ctrace", "true"});
    ADD_FAILURE() << "--keep with -o accepted";
  } catch (const ctrecord::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("drop -o"), std::string::npos) << e.what();
  }
}

TEST(RecordCli, OrderFlagAndItsEnvironmentDefault) {
  using ctrecord::OrderMode;
  EXPECT_FALSE(parse({"true"}).order);
  EXPECT_EQ(*parse({"--order=exact", "true"}).order, OrderMode::Exact);
  EXPECT_EQ(*parse({"--order", "read", "true"}).order, OrderMode::Read);
  EXPECT_THROW(parse({"--order", "sorted", "true"}), ctrecord::UsageError);
  EXPECT_EQ(ctharness::resolve_record_order(parse({"true"}), nullptr), OrderMode::Read);
  EXPECT_EQ(ctharness::resolve_record_order(parse({"true"}), "exact"), OrderMode::Exact);
  EXPECT_EQ(ctharness::resolve_record_order(parse({"--order=read", "true"}), "exact"),
            OrderMode::Read);
  // Exact with --tty=auto or never: pipes, fine.
  EXPECT_EQ(ctharness::resolve_record_order(parse({"--order=exact", "--tty=auto", "true"}), ""),
            OrderMode::Exact);
  EXPECT_EQ(ctharness::resolve_record_order(parse({"--order=exact", "--tty=never", "true"}), ""),
            OrderMode::Exact);
}

TEST(RecordCli, ExactOrderOnATerminalIsAUsageErrorNamingTheFix) {
  for (const char* tty : {"--tty=always", "--tty=stdout"}) {
    for (const bool from_env : {false, true}) {
      const auto options = from_env ? parse({tty, "true"}) : parse({"--order=exact", tty, "true"});
      try {
        ctharness::resolve_record_order(options, from_env ? "exact" : nullptr);
        FAIL() << tty << " accepted";
      } catch (const ctrecord::UsageError& e) {
        const std::string text = e.what();
        EXPECT_NE(text.find(from_env ? "CTEST_RECORD_ORDER=exact" : "--order=exact"),
                  std::string::npos)
            << text;
        EXPECT_NE(text.find(std::string(tty)), std::string::npos) << text;
        EXPECT_NE(text.find("--tty=never"), std::string::npos) << text;
        EXPECT_NE(text.find("--order=read"), std::string::npos) << text;
      }
    }
  }
}

TEST(RecordCli, HelpDescribesOrderAndItsVariables) {
  const std::string help = ctharness::record_help_text();
  EXPECT_NE(help.find("--order MODE"), std::string::npos);
  EXPECT_NE(help.find("CTEST_RECORD_ORDER=read|exact"), std::string::npos);
  EXPECT_NE(help.find("CTEST_RECORD_SHIM=PATH"), std::string::npos);
}
