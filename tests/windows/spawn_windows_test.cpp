// Spawn mode on Windows (run_captured_child): bytes exact including a text-mode child's
// "\r\n", separate streams, stdin fed, exit codes, large output, the handle list, failures
// that name the path, and no handle growth over repeated spawns.
#include "ctrecord/spawn_windows.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "ctrecord/errors.hpp"
#include "ctrecord/win_handle.hpp"
#include "handle_count.hpp"
#include "test_util.hpp"

using ctrecord::Stream;

namespace {

ctrecord::WinChildSpec child(std::vector<std::wstring> args) {
  ctrecord::WinChildSpec spec;
  spec.executable = fixture_path(L"win_child.exe");
  spec.argv.push_back(spec.executable);
  for (auto& arg : args) spec.argv.push_back(std::move(arg));
  spec.mirror = false;
  return spec;
}

}  // namespace

TEST(SpawnWindows, TextModeChildWritesCrLfAndTheTraceKeepsIt) {
  ChunkCollector chunks;
  const auto result =
      ctrecord::run_captured_child(child({L"out:hello", L"binout:raw"}), chunks.handler());
  EXPECT_EQ(result.exit_code, 0u);
  EXPECT_EQ(chunks.bytes(Stream::Stdout), "hello\r\nraw\n");
  EXPECT_EQ(chunks.bytes(Stream::Stderr), "");
  EXPECT_EQ(result.read_error, "");
}

TEST(SpawnWindows, StreamsStaySeparateAndTheExitCodeIsReturned) {
  ChunkCollector chunks;
  const auto result = ctrecord::run_captured_child(child({L"out:to-out", L"err:to-err", L"exit:7"}),
                                                   chunks.handler());
  EXPECT_EQ(result.exit_code, 7u);
  EXPECT_EQ(chunks.bytes(Stream::Stdout), "to-out\r\n");
  EXPECT_EQ(chunks.bytes(Stream::Stderr), "to-err\r\n");
}

TEST(SpawnWindows, StdinBytesReachTheChildExactlyAndAreRecorded) {
  ChunkCollector chunks;
  auto spec = child({L"echo"});
  const std::string input("a\0b\r\nc\nd\xff", 9);
  spec.stdin_bytes = input;
  const auto result = ctrecord::run_captured_child(spec, chunks.handler());
  EXPECT_EQ(result.exit_code, 0u);
  EXPECT_EQ(chunks.bytes(Stream::Stdout), input);
  EXPECT_EQ(chunks.bytes(Stream::Stdin), input);
}

TEST(SpawnWindows, WithoutStdinBytesTheChildReadsTheNulDevice) {
  ChunkCollector chunks;
  const auto result = ctrecord::run_captured_child(child({L"out:done", L"echo"}), chunks.handler());
  EXPECT_EQ(result.exit_code, 0u);
  EXPECT_EQ(chunks.bytes(Stream::Stdout), "done\r\n");
}

TEST(SpawnWindows, ArgumentsSurviveQuoting) {
  ChunkCollector chunks;
  ctrecord::run_captured_child(child({L"out:a b \"c\" d\\ e\\\\"}), chunks.handler());
  EXPECT_EQ(chunks.bytes(Stream::Stdout), "a b \"c\" d\\ e\\\\\r\n");
}

TEST(SpawnWindows, LargeOutputIsDrainedWithoutDeadlock) {
  ChunkCollector chunks;
  const auto result =
      ctrecord::run_captured_child(child({L"big:8388608", L"err:end"}), chunks.handler());
  EXPECT_EQ(result.exit_code, 0u);
  EXPECT_EQ(chunks.bytes(Stream::Stdout), std::string(8388608, 'x'));
  EXPECT_EQ(chunks.bytes(Stream::Stderr), "end\r\n");
}

TEST(SpawnWindows, TheChildInheritsOnlyItsThreeHandles) {
  // An inheritable pipe write end the child must NOT get: once our copy is closed, a read
  // on the other end ends at once while the child still runs (it sleeps 3 s).
  SECURITY_ATTRIBUTES inherit{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
  HANDLE read = nullptr;
  HANDLE write = nullptr;
  ASSERT_TRUE(CreatePipe(&read, &write, &inherit, 0));
  ctrecord::UniqueHandle leak_read(read);
  ctrecord::UniqueHandle leak_write(write);

  std::atomic<bool> started{false};
  ctrecord::UniqueHandle started_event(CreateEventW(nullptr, TRUE, FALSE, nullptr));
  ASSERT_TRUE(started_event);
  auto spec = child({L"out:started", L"sleep:3000"});
  DWORD exit_code = 99;
  std::thread runner([&] {
    exit_code = ctrecord::run_captured_child(spec, [&](ctrecord::IoChunk chunk) {
                  if (chunk.bytes.find("started") != std::string::npos) {
                    started = true;
                    SetEvent(started_event.get());
                  }
                }).exit_code;
  });
  ASSERT_EQ(WaitForSingleObject(started_event.get(), 20000), WAIT_OBJECT_0);
  leak_write.reset();
  const auto before = std::chrono::steady_clock::now();
  char one = 0;
  DWORD got = 0;
  const BOOL ok = ReadFile(leak_read.get(), &one, 1, &got, nullptr);
  const DWORD err = GetLastError();
  const auto waited = std::chrono::steady_clock::now() - before;
  runner.join();
  EXPECT_FALSE(ok);
  EXPECT_EQ(err, static_cast<DWORD>(ERROR_BROKEN_PIPE));
  EXPECT_LT(waited, std::chrono::milliseconds(1500)) << "the child held the inheritable pipe";
  EXPECT_EQ(exit_code, 0u);
}

TEST(SpawnWindows, AMissingExecutableIsAnEnvironmentErrorNamingIt) {
  const long before = process_handle_count();
  auto spec = child({});
  spec.executable = fixture_path(L"no_such_program.exe");
  try {
    ctrecord::run_captured_child(spec, [](ctrecord::IoChunk) {});
    FAIL() << "no exception";
  } catch (const ctrecord::EnvironmentError& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_program.exe"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("CreateProcessW"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("(error 2)"), std::string::npos) << e.what();
  }
  EXPECT_EQ(process_handle_count(), before);
}

TEST(SpawnWindows, RepeatedSpawnsLeakNoHandle) {
  ctrecord::run_captured_child(child({L"out:warm-up"}), [](ctrecord::IoChunk) {});
  const long before = process_handle_count();
  ASSERT_GT(before, 0);
  for (int i = 0; i < 50; ++i) {
    ChunkCollector chunks;
    auto spec = child({L"out:x", L"err:y"});
    spec.stdin_bytes = "in";
    ASSERT_EQ(ctrecord::run_captured_child(spec, chunks.handler()).exit_code, 0u);
    ASSERT_EQ(chunks.bytes(Stream::Stdout), "x\r\n");
  }
  // At most Wine's one-time wait object (see StartStopLoopsLeakNoHandle); a leak grows by 50.
  const long after = process_handle_count();
  EXPECT_GE(after, before);
  EXPECT_LE(after, before + 1) << "handles grew from " << before << " to " << after;
}
