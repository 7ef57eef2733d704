// GoogleTest integration: ctrecord::gtest::RecordingListener records a test binary's fds 0/1/2
// into a trace (an in-process ctrecord::Session) and stamps every chunk with the test that was
// running, as "Suite.Test" (the --gtest_filter spelling), so a trace of a gtest run says which
// test printed what. See docs/gtest-listener.md.
//
//   int main(int argc, char** argv) {
//     ::testing::InitGoogleTest(&argc, argv);
//     ctrecord::gtest::RecordingListener::install();  // path from CTEST_RECORD_GTEST_TRACE
//     return RUN_ALL_TESTS();
//   }
//
// Lifetime: the session starts in OnTestProgramStart and stops in OnTestProgramEnd, i.e. it
// spans everything gtest prints, final summary included. OnTestStart sets the context to
// "Suite.Test" and OnTestEnd clears it; ctrecord::set_context is a barrier, so output written
// by one test is never stamped with the next one.
//
// Ordering: install() takes gtest's default result printer into the listener and forwards
// every event to it, running its own work first on the "start" events and last on the "end"
// events. So the printer's "[ RUN      ] Suite.Test" and "[       OK ] Suite.Test" lines are
// inside that test's context. A listener merely appended with listeners().Append(...) works
// too, but then gtest's RUN/OK lines carry no context (the test's own output still does).
//
// Under ctest-record: when CTEST_RECORD_CONTROL names a live control channel, the listener also
// sends "test started" (before the RUN line) and "test finished" with the outcome and gtest's
// elapsed time (after the OK/FAILED line) to the recorder, so `ctest-record ./my_tests` has
// per-test contexts without an own trace (docs/control-protocol.md).
//
// Trace path: the constructor's ListenerOptions::trace_path; if empty, the environment variable
// CTEST_RECORD_GTEST_TRACE; if that is unset or empty the listener records nothing (so a binary
// can always install it and CI turns recording on). "%p" in the path is replaced by the process
// id (one trace per process when ctest runs each test in its own process).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "ctrecord/control_client.hpp"
#include "ctrecord/session.hpp"

namespace ctrecord::gtest {

// Environment variable naming the trace file when ListenerOptions::trace_path is empty.
inline constexpr const char* kTraceEnvVar = "CTEST_RECORD_GTEST_TRACE";

struct ListenerOptions {
  std::string trace_path;  // empty: CTEST_RECORD_GTEST_TRACE; "%p" becomes the pid
  // Off by default: a test binary rarely reads stdin, and capturing it means a relay thread
  // reading ahead from the real stdin (a terminal, say) while the tests run.
  bool capture_stdin = false;
  std::optional<bool> capture_io;  // overrides CTEST_CAPTURE_IO when set
  // When the session cannot be started (trace not creatable, ...): true adds a gtest failure
  // outside any test, so RUN_ALL_TESTS() returns 1 (the tests still run); false only logs.
  bool fail_run_if_not_recording = true;
  // Under ctest-record (CTEST_RECORD_CONTROL set): tell the recorder when each test starts and
  // finishes, so its trace has per-test contexts and outcomes (docs/control-protocol.md).
  // Independent of trace_path: without one, the listener only reports to ctest-record.
  bool use_control_channel = true;
};

class RecordingListener : public ::testing::EmptyTestEventListener {
 public:
  RecordingListener() : RecordingListener(ListenerOptions{}) {}
  explicit RecordingListener(std::string trace_path);
  explicit RecordingListener(ListenerOptions options);
  ~RecordingListener() override;

  RecordingListener(const RecordingListener&) = delete;
  RecordingListener& operator=(const RecordingListener&) = delete;

  // Creates a listener, hands it gtest's default result printer (see "Ordering" above) and
  // appends it to the listener list, which owns it. Call after ::testing::InitGoogleTest and
  // before RUN_ALL_TESTS. Returns the listener (valid until gtest's UnitTest is destroyed).
  static RecordingListener* install(ListenerOptions options = {});

  // Takes ownership of `printer` and forwards every event to it around the listener's own work
  // (install() does this with the default result printer).
  void wrap_printer(::testing::TestEventListener* printer);

  // The trace path in use after OnTestProgramStart ("" when not recording).
  const std::string& trace_path() const noexcept { return resolved_path_; }
  bool recording() const noexcept;
  // Why recording did not start ("" if it did or was not requested).
  const std::string& start_error() const noexcept { return start_error_; }
  // The session's report, set by OnTestProgramEnd.
  const std::optional<StopReport>& last_report() const noexcept { return report_; }

  void OnTestProgramStart(const ::testing::UnitTest& unit_test) override;
  void OnTestIterationStart(const ::testing::UnitTest& unit_test, int iteration) override;
  void OnEnvironmentsSetUpStart(const ::testing::UnitTest& unit_test) override;
  void OnEnvironmentsSetUpEnd(const ::testing::UnitTest& unit_test) override;
  void OnTestSuiteStart(const ::testing::TestSuite& test_suite) override;
#ifndef GTEST_REMOVE_LEGACY_TEST_CASEAPI_
  void OnTestCaseStart(const ::testing::TestCase& test_case) override;
#endif
  void OnTestStart(const ::testing::TestInfo& test_info) override;
  void OnTestDisabled(const ::testing::TestInfo& test_info) override;
  void OnTestPartResult(const ::testing::TestPartResult& result) override;
  void OnTestEnd(const ::testing::TestInfo& test_info) override;
  void OnTestSuiteEnd(const ::testing::TestSuite& test_suite) override;
#ifndef GTEST_REMOVE_LEGACY_TEST_CASEAPI_
  void OnTestCaseEnd(const ::testing::TestCase& test_case) override;
#endif
  void OnEnvironmentsTearDownStart(const ::testing::UnitTest& unit_test) override;
  void OnEnvironmentsTearDownEnd(const ::testing::UnitTest& unit_test) override;
  void OnTestIterationEnd(const ::testing::UnitTest& unit_test, int iteration) override;
  void OnTestProgramEnd(const ::testing::UnitTest& unit_test) override;

 private:
  ListenerOptions options_;
  std::string resolved_path_;
  std::string start_error_;
  std::optional<Session> session_;
  std::optional<StopReport> report_;
  std::unique_ptr<::testing::TestEventListener> printer_;
  std::unique_ptr<ControlClient> control_;

  void warn_if_control_failed();
};

// The trace path the listener would use: `explicit_path` if not empty, else the value of
// CTEST_RECORD_GTEST_TRACE, else ""; every "%p" replaced by `pid`.
std::string resolve_trace_path(const std::string& explicit_path, long pid);

}  // namespace ctrecord::gtest
