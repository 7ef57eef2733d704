// ctrecord::gtest::RecordingListener: an in-process ctrecord::Session around a gtest run, with
// the running test as the capture context. Ordering rationale in docs/gtest-listener.md.
#include "ctrecord/gtest_listener.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <utility>

#include "ctrecord/log.hpp"

namespace ctrecord::gtest {

namespace {

std::string test_id(const ::testing::TestInfo& info) {
  std::string id = info.test_suite_name();
  id += '.';
  id += info.name();
  return id;
}

const char* outcome_of(const ::testing::TestInfo& info) {
  const ::testing::TestResult* result = info.result();
  if (result == nullptr) return "passed";
  if (result->Skipped()) return "skipped";
  if (result->Failed()) return "failed";
  return "passed";
}

// Everything the test wrote so far must be in the capture pipes before the recorder hears
// from us (docs/control-protocol.md).
void flush_own_output() {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(stdout);
  std::fflush(stderr);
}

}  // namespace

std::string resolve_trace_path(const std::string& explicit_path, long pid) {
  std::string pattern = explicit_path;
  if (pattern.empty()) {
    const char* env = std::getenv(kTraceEnvVar);
    if (env != nullptr) pattern = env;
  }
  std::string path;
  const std::string pid_text = std::to_string(pid);
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size() && pattern[i + 1] == 'p') {
      path += pid_text;
      ++i;
    } else {
      path += pattern[i];
    }
  }
  return path;
}

RecordingListener::RecordingListener(std::string trace_path)
    : RecordingListener(ListenerOptions{.trace_path = std::move(trace_path)}) {}

RecordingListener::RecordingListener(ListenerOptions options) : options_(std::move(options)) {}

RecordingListener::~RecordingListener() = default;  // an active session stops in ~Session

RecordingListener* RecordingListener::install(ListenerOptions options) {
  auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
  auto listener = std::make_unique<RecordingListener>(std::move(options));
  if (auto* printer = listeners.default_result_printer()) {
    listener->wrap_printer(listeners.Release(printer));
  }
  RecordingListener* raw = listener.release();
  listeners.Append(raw);  // gtest owns it from here on
  return raw;
}

void RecordingListener::wrap_printer(::testing::TestEventListener* printer) {
  printer_.reset(printer);
}

bool RecordingListener::recording() const noexcept {
  return session_.has_value() && session_->active();
}

void RecordingListener::OnTestProgramStart(const ::testing::UnitTest& unit_test) {
  // install() called before InitGoogleTest, then a flag (--gtest_brief) set a new default
  // printer: keep that one alone, or every line would be printed twice.
  if (printer_ &&
      ::testing::UnitTest::GetInstance()->listeners().default_result_printer() != nullptr) {
    printer_.reset();
    log::warning(
        "gtest listener: a default result printer was installed after "
        "RecordingListener::install() (call it after InitGoogleTest); gtest's RUN/OK lines "
        "will carry no test context");
  }
  if (options_.use_control_channel) {
    std::string why;
    control_ = ControlClient::connect_from_env(&why);
    if (!why.empty())
      log::warning("gtest listener: no per-test contexts for ctest-record: {}", why);
  }
  resolved_path_ = resolve_trace_path(options_.trace_path, static_cast<long>(::getpid()));
  if (!resolved_path_.empty()) {
    SessionOptions session_options;
    session_options.trace_path = resolved_path_;
    session_options.capture_io = options_.capture_io;
    session_options.capture_stdin = options_.capture_stdin;
    try {
      session_.emplace(Session::start(std::move(session_options)));
    } catch (const std::exception& e) {
      session_.reset();
      start_error_ = e.what();
      log::error("gtest listener: not recording this test run to {}: {}", resolved_path_,
                 start_error_);
    }
  }
  if (printer_) printer_->OnTestProgramStart(unit_test);
  if (!start_error_.empty() && options_.fail_run_if_not_recording) {
    ADD_FAILURE() << "ctest-record gtest listener: cannot record this test run to "
                  << resolved_path_ << ": " << start_error_;
  }
}

void RecordingListener::OnTestIterationStart(const ::testing::UnitTest& unit_test, int iteration) {
  if (printer_) printer_->OnTestIterationStart(unit_test, iteration);
}

void RecordingListener::OnEnvironmentsSetUpStart(const ::testing::UnitTest& unit_test) {
  if (printer_) printer_->OnEnvironmentsSetUpStart(unit_test);
}

void RecordingListener::OnEnvironmentsSetUpEnd(const ::testing::UnitTest& unit_test) {
  if (printer_) printer_->OnEnvironmentsSetUpEnd(unit_test);
}

void RecordingListener::OnTestSuiteStart(const ::testing::TestSuite& test_suite) {
  if (printer_) printer_->OnTestSuiteStart(test_suite);
}

#ifndef GTEST_REMOVE_LEGACY_TEST_CASEAPI_
void RecordingListener::OnTestCaseStart(const ::testing::TestCase& test_case) {
  if (printer_) printer_->OnTestCaseStart(test_case);
}
#endif

void RecordingListener::OnTestStart(const ::testing::TestInfo& test_info) {
  // Context first, so the printer's "[ RUN      ]" line belongs to the test.
  set_context(test_id(test_info));
  if (control_) {
    flush_own_output();
    control_->test_started(test_id(test_info));
    warn_if_control_failed();
  }
  if (printer_) printer_->OnTestStart(test_info);
}

void RecordingListener::OnTestDisabled(const ::testing::TestInfo& test_info) {
  if (printer_) printer_->OnTestDisabled(test_info);
}

void RecordingListener::OnTestPartResult(const ::testing::TestPartResult& result) {
  if (printer_) printer_->OnTestPartResult(result);
}

void RecordingListener::OnTestEnd(const ::testing::TestInfo& test_info) {
  // The printer's "[       OK ]" / "[  FAILED  ]" line still belongs to the test.
  if (printer_) printer_->OnTestEnd(test_info);
  if (control_) {
    flush_own_output();
    const auto elapsed_ms = test_info.result() != nullptr ? test_info.result()->elapsed_time() : 0;
    control_->test_finished(test_id(test_info), outcome_of(test_info),
                            static_cast<std::uint64_t>(elapsed_ms) * 1000000u);
    warn_if_control_failed();
  }
  set_context("");
}

void RecordingListener::warn_if_control_failed() {
  if (!control_ || control_->usable()) return;
  log::warning("gtest listener: {}; no more per-test contexts for ctest-record", control_->error());
  control_.reset();
}

void RecordingListener::OnTestSuiteEnd(const ::testing::TestSuite& test_suite) {
  if (printer_) printer_->OnTestSuiteEnd(test_suite);
}

#ifndef GTEST_REMOVE_LEGACY_TEST_CASEAPI_
void RecordingListener::OnTestCaseEnd(const ::testing::TestCase& test_case) {
  if (printer_) printer_->OnTestCaseEnd(test_case);
}
#endif

void RecordingListener::OnEnvironmentsTearDownStart(const ::testing::UnitTest& unit_test) {
  if (printer_) printer_->OnEnvironmentsTearDownStart(unit_test);
}

void RecordingListener::OnEnvironmentsTearDownEnd(const ::testing::UnitTest& unit_test) {
  if (printer_) printer_->OnEnvironmentsTearDownEnd(unit_test);
}

void RecordingListener::OnTestIterationEnd(const ::testing::UnitTest& unit_test, int iteration) {
  if (printer_) printer_->OnTestIterationEnd(unit_test, iteration);
}

void RecordingListener::OnTestProgramEnd(const ::testing::UnitTest& unit_test) {
  // After gtest's final summary (printed in OnTestIterationEnd): the trace holds the whole
  // console output of the run.
  if (printer_) printer_->OnTestProgramEnd(unit_test);
  if (!session_) return;
  try {
    report_ = session_->stop();
  } catch (const std::exception& e) {
    log::error("gtest listener: stopping the recording of {} failed: {}", resolved_path_, e.what());
  }
  session_.reset();
  if (!report_) return;
  if (report_->trace_error) {
    log::error("gtest listener: trace {} is incomplete: {}", resolved_path_, *report_->trace_error);
  }
  for (Stream stream : report_->held_open) {
    log::warning("gtest listener: {} was still held open at stop (a child process?)",
                 stream_name(stream));
  }
}

}  // namespace ctrecord::gtest
