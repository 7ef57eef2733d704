// RecorderPolicy layering: defaults < CTEST_CAPTURE_IO < --capture-io/--no-capture-io.
#include "ctrecord/recorder_policy.hpp"

#include <gtest/gtest.h>

#include "ctrecord/errors.hpp"

using ctrecord::EnvRecording;
using ctrecord::resolve_env_recording;
using ctrecord::resolve_policy;
using ctrecord::UsageError;

TEST(RecorderPolicy, DefaultCapturesIo) {
  const auto policy = resolve_policy(nullptr, std::nullopt);
  EXPECT_TRUE(policy.io_capture_enabled);
  EXPECT_EQ(policy.io_capture_source, "default");
}

TEST(RecorderPolicy, EnvironmentOverridesDefault) {
  EXPECT_FALSE(resolve_policy("0", std::nullopt).io_capture_enabled);
  EXPECT_TRUE(resolve_policy("1", std::nullopt).io_capture_enabled);
  EXPECT_FALSE(resolve_policy("off", std::nullopt).io_capture_enabled);
  EXPECT_EQ(resolve_policy("0", std::nullopt).io_capture_source, "env CTEST_CAPTURE_IO=0");
}

TEST(RecorderPolicy, EmptyEnvironmentValueCountsAsUnset) {
  EXPECT_EQ(resolve_policy("", std::nullopt).io_capture_source, "default");
}

TEST(RecorderPolicy, FlagOverridesEnvironment) {
  auto policy = resolve_policy("0", true);
  EXPECT_TRUE(policy.io_capture_enabled);
  EXPECT_EQ(policy.io_capture_source, "flag --capture-io");
  policy = resolve_policy("1", false);
  EXPECT_FALSE(policy.io_capture_enabled);
  EXPECT_EQ(policy.io_capture_source, "flag --no-capture-io");
}

TEST(RecorderPolicy, BadEnvironmentValueIsAUsageErrorNamingTheVariable) {
  try {
    resolve_policy("maybe", std::nullopt);
    FAIL() << "expected UsageError";
  } catch (const ctrecord::UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("CTEST_CAPTURE_IO"), std::string::npos) << what;
    EXPECT_NE(what.find("maybe"), std::string::npos) << what;
  }
  // Even when a flag would override it: a bad setting is never silently ignored.
  EXPECT_THROW(resolve_policy("maybe", true), ctrecord::UsageError);
}

TEST(RecorderPolicy, RecordEnvDefaultEnvironmentAndFlag) {
  EXPECT_EQ(resolve_env_recording(nullptr, std::nullopt), EnvRecording::Safe);
  EXPECT_EQ(resolve_env_recording("", std::nullopt), EnvRecording::Safe);
  EXPECT_EQ(resolve_env_recording("none", std::nullopt), EnvRecording::None);
  EXPECT_EQ(resolve_env_recording("none", EnvRecording::All), EnvRecording::All);
  try {
    resolve_env_recording("everything", std::nullopt);
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("CTEST_RECORD_ENV"), std::string::npos) << e.what();
  }
}

TEST(RecorderPolicy, OrderDefaultEnvironmentAndFlag) {
  using ctrecord::OrderMode;
  using ctrecord::resolve_order_mode;
  EXPECT_EQ(resolve_order_mode(nullptr, std::nullopt), OrderMode::Read);
  EXPECT_EQ(resolve_order_mode("", std::nullopt), OrderMode::Read);
  EXPECT_EQ(resolve_order_mode("exact", std::nullopt), OrderMode::Exact);
  EXPECT_EQ(resolve_order_mode("exact", OrderMode::Read), OrderMode::Read);  // the flag wins
  EXPECT_EQ(resolve_order_mode("read", OrderMode::Exact), OrderMode::Exact);
  // A flag wins even over a bad value: the variable is never looked at then.
  EXPECT_EQ(resolve_order_mode("sorted", OrderMode::Exact), OrderMode::Exact);
  try {
    resolve_order_mode("sorted", std::nullopt);
    FAIL() << "no error";
  } catch (const UsageError& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find("CTEST_RECORD_ORDER"), std::string::npos) << text;
    EXPECT_NE(text.find("'sorted'"), std::string::npos) << text;
    EXPECT_NE(text.find("exact"), std::string::npos) << text;
  }
  EXPECT_EQ(ctrecord::order_mode_name(OrderMode::Exact), "exact");
  EXPECT_EQ(ctrecord::order_mode_name(OrderMode::Read), "read");
  EXPECT_EQ(ctrecord::parse_order_mode("Exact"), std::nullopt);
}
