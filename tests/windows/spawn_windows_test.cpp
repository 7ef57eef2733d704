// Spawn mode on Windows (run_captured_child): bytes exact including a text-mode child's
// "\r\n", separate streams, stdin fed, exit codes, large output, the handle list, failures
// that name the path, no handle growth over repeated spawns, PATH lookup, cwd, environment.
#include "ctrecord/spawn_windows.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
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

namespace {

std::wstring fixture_dir() {
  std::wstring dir = fixture_path(L"");
  dir.pop_back();  // the trailing separator
  return dir;
}

std::string utf8(const std::wstring& text) {
  std::string out(text.size() * 4, '\0');
  out.resize(static_cast<std::size_t>(
      WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), out.data(),
                          static_cast<int>(out.size()), nullptr, nullptr)));
  return out;
}

// Sets an environment variable of this process for one test's lifetime.
class ScopedVariable {
 public:
  ScopedVariable(const wchar_t* name, const std::wstring& value) : name_(name) {
    std::wstring old(32768, L'\0');
    const DWORD length = GetEnvironmentVariableW(name, old.data(), static_cast<DWORD>(old.size()));
    if (length > 0) old_ = old.substr(0, length);
    SetEnvironmentVariableW(name, value.c_str());
  }
  ~ScopedVariable() { SetEnvironmentVariableW(name_, old_ ? old_->c_str() : nullptr); }

 private:
  const wchar_t* name_;
  std::optional<std::wstring> old_;
};

}  // namespace

TEST(SpawnWindows, ABareNameIsFoundInPathAsNameExe) {
  // A directory called win_child.exe comes first in PATH and is skipped; quotes are stripped,
  // empty entries ignored.
  const std::wstring decoy = fixture_path(L"decoy_dir");
  CreateDirectoryW(decoy.c_str(), nullptr);
  CreateDirectoryW((decoy + L"\\win_child.exe").c_str(), nullptr);
  const std::wstring path = decoy + L";;\"" + fixture_dir() + L"\"";
  const auto found = ctrecord::resolve_win_command(L"win_child", path.c_str());
  EXPECT_EQ(found.path, fixture_dir() + L"\\win_child.exe");
  EXPECT_EQ(found.error, 0u);
  // With an extension, nothing is appended.
  EXPECT_EQ(ctrecord::resolve_win_command(L"win_child.exe", path.c_str()).path,
            fixture_dir() + L"\\win_child.exe");
  EXPECT_EQ(ctrecord::resolve_win_command(L"win_child.com", path.c_str()).path, L"");
  const auto missing = ctrecord::resolve_win_command(L"no_such_program", path.c_str());
  EXPECT_EQ(missing.path, L"");
  EXPECT_EQ(missing.error, static_cast<DWORD>(ERROR_FILE_NOT_FOUND));
  RemoveDirectoryW((decoy + L"\\win_child.exe").c_str());
  RemoveDirectoryW(decoy.c_str());
}

TEST(SpawnWindows, ABareNameRunsFromThisProcesssPath) {
  ScopedVariable path(L"PATH", fixture_dir());
  auto spec = child({L"out:found"});
  spec.executable = L"win_child";
  ChunkCollector chunks;
  const auto result = ctrecord::run_captured_child(spec, chunks.handler());
  EXPECT_EQ(result.exit_code, 0u);
  EXPECT_EQ(chunks.bytes(Stream::Stdout), "found\r\n");
}

TEST(SpawnWindows, TheChildRunsInCwdAndARelativePathIsRelativeToIt) {
  // The folder above the fixtures: "windows\win_child" exists only relative to it.
  const std::wstring dir = fixture_dir();
  const std::wstring parent = dir.substr(0, dir.find_last_of(L"\\/"));
  auto spec = child({L"cwd"});
  spec.cwd = parent;
  spec.executable = dir.substr(parent.size() + 1) + L"\\win_child";
  ChunkCollector chunks;
  const auto result = ctrecord::run_captured_child(spec, chunks.handler());
  EXPECT_EQ(result.exit_code, 0u);
  EXPECT_EQ(chunks.bytes(Stream::Stdout), utf8(parent) + "\n");
}

TEST(SpawnWindows, TheEnvironmentIsInheritedOrGivenWhole) {
  ScopedVariable inherited(L"CTR_INHERITED", L"yes");
  {
    ChunkCollector chunks;
    ctrecord::run_captured_child(child({L"env:CTR_INHERITED"}), chunks.handler());
    EXPECT_EQ(chunks.bytes(Stream::Stdout), "yes\n");
  }
  std::wstring system_root(MAX_PATH, L'\0');
  system_root.resize(GetEnvironmentVariableW(L"SystemRoot", system_root.data(), MAX_PATH));
  auto spec = child({L"env:CTR_GIVEN", L"env:ctr_lower", L"env:CTR_INHERITED"});
  spec.environment = std::vector<std::wstring>{L"ctr_lower=1", L"CTR_GIVEN=caf\u00e9 = ok",
                                               L"SystemRoot=" + system_root};
  ChunkCollector chunks;
  const auto result = ctrecord::run_captured_child(spec, chunks.handler());
  EXPECT_EQ(result.exit_code, 0u);
  EXPECT_EQ(chunks.bytes(Stream::Stdout), "caf\xc3\xa9 = ok\n1\n<unset>\n");
}

TEST(SpawnWindows, ABadEnvironmentEntryIsAUsageErrorAndLeaksNothing) {
  const long before = process_handle_count();
  auto spec = child({});
  spec.environment = std::vector<std::wstring>{L"GOOD=1", L"NO_EQUALS_SIGN"};
  EXPECT_THROW(ctrecord::run_captured_child(spec, [](ctrecord::IoChunk) {}), ctrecord::UsageError);
  EXPECT_EQ(process_handle_count(), before);
}

TEST(SpawnWindows, AProgramNotInPathIsASpawnErrorWithStatus127) {
  ScopedVariable path(L"PATH", fixture_dir());
  auto spec = child({});
  spec.executable = L"no_such_program";
  try {
    ctrecord::run_captured_child(spec, [](ctrecord::IoChunk) {});
    FAIL() << "no exception";
  } catch (const ctrecord::WinSpawnError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("cannot run 'no_such_program': not found in PATH"), std::string::npos)
        << what;
    EXPECT_NE(what.find("(error 2)"), std::string::npos) << what;
    EXPECT_EQ(e.error(), static_cast<DWORD>(ERROR_FILE_NOT_FOUND));
    EXPECT_EQ(e.status(), 127);
  }
}

TEST(SpawnWindows, AMissingCwdIsASpawnErrorNamingIt) {
  const long before = process_handle_count();
  auto spec = child({L"out:never"});
  spec.cwd = fixture_path(L"no_such_dir");
  try {
    ctrecord::run_captured_child(spec, [](ctrecord::IoChunk) {});
    FAIL() << "no exception";
  } catch (const ctrecord::WinSpawnError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("CreateProcessW"), std::string::npos) << what;
    EXPECT_NE(what.find("(cwd " + utf8(spec.cwd) + ")"), std::string::npos) << what;
    EXPECT_EQ(e.status(), 127) << what;
  }
  EXPECT_EQ(process_handle_count(), before);
}
