// Spawn mode on Windows (run_captured_child): bytes exact including a text-mode child's
// "\r\n", separate streams, stdin fed, exit codes, large output, the handle list, failures
// that name the path, no handle growth over repeated spawns, PATH lookup, cwd, environment,
// the child's pid as producer, handler exceptions, failures after the start, argv[0] quoting,
// the drain timeout with a grandchild holding the pipes, partial stdin, the mirror.
// clang-format off
#include <windows.h>  // first: shellapi.h needs its types
#include <shellapi.h>
// clang-format on
#include "ctrecord/spawn_windows.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <io.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "ctrecord/errors.hpp"
#include "ctrecord/win_handle.hpp"
#include "handle_count.hpp"
#include "test_util.hpp"

using ctrecord::Stream;

namespace {}  // namespace

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

namespace {

// Joins a thread however the test ends (a failed ASSERT returns early; destroying a joinable
// std::thread would end the process).
struct JoinOnExit {
  std::thread& thread;
  ~JoinOnExit() {
    if (thread.joinable()) thread.join();
  }
};

// This process's STD_*_HANDLE set to `handle` for the object's lifetime.
class StdHandleSwap {
 public:
  StdHandleSwap(DWORD id, HANDLE handle) : id_(id), old_(GetStdHandle(id)) {
    SetStdHandle(id, handle);
  }
  StdHandleSwap(const StdHandleSwap&) = delete;
  StdHandleSwap& operator=(const StdHandleSwap&) = delete;
  ~StdHandleSwap() { SetStdHandle(id_, old_); }

 private:
  DWORD id_;
  HANDLE old_;
};

struct TestPipe {
  TestPipe(bool inheritable = false) {
    SECURITY_ATTRIBUTES attributes{sizeof(SECURITY_ATTRIBUTES), nullptr, inheritable};
    HANDLE r = nullptr;
    HANDLE w = nullptr;
    if (CreatePipe(&r, &w, &attributes, 1 << 20)) {
      read.reset(r);
      write.reset(w);
    }
  }
  std::string read_all() {
    std::string all;
    char buffer[4096];
    DWORD got = 0;
    while (ReadFile(read.get(), buffer, sizeof buffer, &got, nullptr) && got > 0)
      all.append(buffer, got);
    return all;
  }
  ctrecord::UniqueHandle read;
  ctrecord::UniqueHandle write;
};

}  // namespace

TEST(SpawnWindows, WithoutStdinBytesTheChildReadsTheNulDevice) {
  // This process's stdin holds data (an inheritable pipe, as std handle and descriptor 0): a
  // child that inherited it instead of NUL would echo it.
  TestPipe ours(true);
  ASSERT_TRUE(ours.read);
  DWORD written = 0;
  ASSERT_TRUE(WriteFile(ours.write.get(), "ours\n", 5, &written, nullptr));
  ours.write.reset();
  const int saved_fd0 = _dup(0);
  HANDLE fd0_handle = nullptr;
  ASSERT_TRUE(DuplicateHandle(GetCurrentProcess(), ours.read.get(), GetCurrentProcess(),
                              &fd0_handle, 0, TRUE, DUPLICATE_SAME_ACCESS));
  const int fd0 = _open_osfhandle(reinterpret_cast<intptr_t>(fd0_handle), _O_RDONLY | _O_BINARY);
  _dup2(fd0, 0);
  _close(fd0);
  ChunkCollector chunks;
  std::optional<ctrecord::WinChildResult> result;
  {
    StdHandleSwap stdin_swap(STD_INPUT_HANDLE, ours.read.get());
    result = ctrecord::run_captured_child(child({L"out:done", L"echo"}), chunks.handler());
  }
  _dup2(saved_fd0, 0);
  _close(saved_fd0);
  EXPECT_EQ(result->exit_code, 0u);
  EXPECT_EQ(chunks.bytes(Stream::Stdout), "done\r\n");
  EXPECT_EQ(ours.read_all(), "ours\n") << "someone read this process's stdin";
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
  JoinOnExit join_runner{runner};
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

namespace {

struct Collected {
  std::mutex mutex;
  std::vector<ctrecord::IoChunk> chunks;
  ctrecord::ChunkHandler handler() {
    return [this](ctrecord::IoChunk chunk) {
      std::lock_guard lock(mutex);
      chunks.push_back(std::move(chunk));
    };
  }
  std::string bytes(Stream stream) {
    std::lock_guard lock(mutex);
    std::string all;
    for (const auto& chunk : chunks)
      if (chunk.stream == stream) all += chunk.bytes;
    return all;
  }
};

bool process_running(DWORD pid) {
  ctrecord::UniqueHandle process(OpenProcess(SYNCHRONIZE, FALSE, pid));
  return process && WaitForSingleObject(process.get(), 0) == WAIT_TIMEOUT;
}

void terminate_process(DWORD pid) {
  ctrecord::UniqueHandle process(OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE, FALSE, pid));
  if (!process) return;
  TerminateProcess(process.get(), 1);
  WaitForSingleObject(process.get(), 5000);
}

std::vector<std::wstring> split_like_windows(const std::wstring& line) {
  int count = 0;
  wchar_t** args = CommandLineToArgvW(line.c_str(), &count);
  std::vector<std::wstring> out;
  for (int i = 0; i < count; ++i) out.emplace_back(args[i]);
  LocalFree(args);
  return out;
}

}  // namespace

TEST(SpawnWindows, TheResultAndEveryOutputChunkCarryTheChildsPid) {
  Collected chunks;
  DWORD started_pid = 0;
  auto spec = child({L"pid", L"err:e"});
  spec.stdin_bytes = "in";
  spec.on_started = [&](DWORD pid) {
    std::lock_guard lock(chunks.mutex);
    EXPECT_TRUE(chunks.chunks.empty()) << "a chunk came before on_started";
    started_pid = pid;
  };
  const auto result = ctrecord::run_captured_child(spec, chunks.handler());
  EXPECT_EQ(result.exit_code, 0u);
  ASSERT_NE(result.pid, 0u);
  EXPECT_NE(result.pid, GetCurrentProcessId());
  EXPECT_EQ(started_pid, result.pid);
  EXPECT_EQ(chunks.bytes(Stream::Stdout), "pid:" + std::to_string(result.pid) + "\n");
  ASSERT_FALSE(chunks.chunks.empty());
  bool saw_stdin = false;
  for (const auto& chunk : chunks.chunks) {
    if (chunk.stream == Stream::Stdin) {
      saw_stdin = true;
      EXPECT_EQ(chunk.producer, 0u);  // as on POSIX
    } else {
      EXPECT_EQ(chunk.producer, result.pid) << stream_name(chunk.stream);
    }
  }
  EXPECT_TRUE(saw_stdin);
}

TEST(SpawnWindows, AThrowingStdinHandlerIsReportedAndTheChildStillGetsItsInput) {
  // The child exits 0 only when it read exactly its stdin; the handler that threw is not
  // called again (ChunkSink's contract), but the feeding goes on.
  auto spec = child({L"expect:to the child"});
  spec.stdin_bytes = "to the child";
  int calls = 0;
  const auto result = ctrecord::run_captured_child(spec, [&](ctrecord::IoChunk chunk) {
    ++calls;
    if (chunk.stream == Stream::Stdin) throw 42;  // not even a std::exception
  });
  EXPECT_EQ(result.exit_code, 0u);
  EXPECT_EQ(calls, 1);
  EXPECT_NE(result.read_error.find("chunk handler (stdin)"), std::string::npos)
      << result.read_error;
}

TEST(SpawnWindows, AFailureAfterTheStartKillsTheChildAndLeaksNothing) {
  // on_started throws with the child running and waiting for stdin that never ends: the
  // child must be terminated, stdin's write end closed, and the exception come back at once.
  ctrecord::run_captured_child(child({L"out:warm-up"}), [](ctrecord::IoChunk) {});
  const long before = process_handle_count();
  auto spec = child({L"echo", L"sleep:20000"});
  spec.stdin_bytes = "x";
  DWORD pid = 0;
  spec.on_started = [&](DWORD child_pid) {
    pid = child_pid;
    throw std::runtime_error("injected after CreateProcessW");
  };
  const auto t0 = std::chrono::steady_clock::now();
  try {
    ctrecord::run_captured_child(spec, [](ctrecord::IoChunk) {});
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "injected after CreateProcessW");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  ASSERT_NE(pid, 0u);
  EXPECT_FALSE(process_running(pid)) << "the child was left running";
  if (process_running(pid)) terminate_process(pid);
  const long after = process_handle_count();
  EXPECT_LE(after, before + 1) << "handles grew from " << before << " to " << after;
}

TEST(SpawnWindows, ArgvZeroIsQuotedVerbatimWithoutBackslashEscapes) {
  const std::vector<std::wstring> names = {L"C:\\dir with space\\", L"C:\\plain\\prog.exe",
                                           L"C:\\tail\\\\", L"", L"a\tb"};
  for (const auto& name : names) {
    const std::wstring line = ctrecord::quote_command_line({name, L"x y\\", L"z"});
    EXPECT_EQ(split_like_windows(line), (std::vector<std::wstring>{name, L"x y\\", L"z"})) << line;
  }
  EXPECT_EQ(ctrecord::quote_command_line({L"C:\\dir with space\\"}), L"\"C:\\dir with space\\\"");
  EXPECT_THROW(ctrecord::quote_command_line({L"a\"b"}), ctrecord::UsageError);
  // The child's own view: CommandLineToArgvW of its command line ... (the action comes from
  // the environment: Wine's msvcrt, unlike Windows', applies backslash escapes to argv[0] too,
  // so the child's CRT sees `C:\dir with space" z` as one argument)
  auto spec = child({L"z"});
  spec.argv[0] = L"C:\\dir with space\\";
  std::optional<ctrecord::WinChildResult> result;
  Collected chunks;
  {
    ScopedVariable action(L"WIN_CHILD_ACTION", L"wargv");
    result = ctrecord::run_captured_child(spec, chunks.handler());
  }
  EXPECT_EQ(result->exit_code, 0u);
  EXPECT_EQ(chunks.bytes(Stream::Stdout), "[C:\\dir with space\\]\n[z]\n");
  // ... and its CRT's argv, for an argv[0] both CRTs split alike.
  spec = child({L"arg:0", L"arg:1"});
  spec.argv[0] = L"C:\\dir with space\\prog";
  Collected crt;
  result = ctrecord::run_captured_child(spec, crt.handler());
  EXPECT_EQ(result->exit_code, 0u);
  EXPECT_EQ(crt.bytes(Stream::Stdout), "[C:\\dir with space\\prog]\n[arg:0]\n");
}

TEST(SpawnWindows, AQuoteInArgvZeroIsAUsageErrorAndStartsNothing) {
  const long before = process_handle_count();
  auto spec = child({L"out:never"});
  spec.argv[0] = L"bad\"name";
  EXPECT_THROW(ctrecord::run_captured_child(spec, [](ctrecord::IoChunk) {}), ctrecord::UsageError);
  EXPECT_EQ(process_handle_count(), before);
}

TEST(SpawnWindows, AGrandchildHoldingTheOutputPipesEndsAtTheDrainTimeout) {
  auto spec = child({L"grandchild:8000", L"out:parent-done"});
  spec.drain_timeout = std::chrono::milliseconds(1000);
  Collected chunks;
  const auto t0 = std::chrono::steady_clock::now();
  const auto result = ctrecord::run_captured_child(spec, chunks.handler());
  const auto took = std::chrono::steady_clock::now() - t0;
  const std::string out = chunks.bytes(Stream::Stdout);
  const std::size_t at = out.find("gpid:");
  const DWORD grandchild =
      at == std::string::npos ? 0 : static_cast<DWORD>(std::stoul(out.substr(at + 5)));
  EXPECT_NE(grandchild, 0u) << out;
  EXPECT_TRUE(grandchild != 0 && process_running(grandchild)) << "the grandchild already ended";
  if (grandchild != 0) terminate_process(grandchild);
  EXPECT_EQ(result.exit_code, 0u);
  EXPECT_LT(took, std::chrono::milliseconds(3000)) << "waited for the grandchild";
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_NE(out.find("parent-done\n"), std::string::npos) << out;  // binary after "gpid:"
  EXPECT_EQ(result.held_open, (std::vector<Stream>{Stream::Stdout, Stream::Stderr}));
  EXPECT_EQ(result.read_error, "");
}

TEST(SpawnWindows, StdinIsRecordedAsFarAsItWasWritten) {
  // 8 MiB for a child that reads 10 bytes and exits: what went into the pipe is recorded
  // (the pipe holds 1 MiB), not nothing and not everything.
  auto spec = child({L"read:10", L"out:read"});
  std::string input(8 << 20, '\0');
  for (std::size_t i = 0; i < input.size(); ++i) input[i] = static_cast<char>('a' + i % 26);
  spec.stdin_bytes = input;
  Collected chunks;
  const auto result = ctrecord::run_captured_child(spec, chunks.handler());
  EXPECT_EQ(result.exit_code, 0u);
  EXPECT_EQ(chunks.bytes(Stream::Stdout), "read\r\n");
  const std::string recorded = chunks.bytes(Stream::Stdin);
  EXPECT_GE(recorded.size(), 10u);
  EXPECT_LT(recorded.size(), input.size());
  EXPECT_EQ(recorded, input.substr(0, recorded.size()));
  // The child's end of the pipe went with it; which the writer saw first, the broken pipe or
  // the stop at the child's exit, is a race (POSIX has the same two reasons).
  EXPECT_TRUE(result.stdin_closed_reason == "child-closed" ||
              result.stdin_closed_reason == "child-exited")
      << result.stdin_closed_reason;
}

TEST(SpawnWindows, StdinWrittenWholeEndsWithEof) {
  auto spec = child({L"expect:all of it"});
  spec.stdin_bytes = "all of it";
  const auto result = ctrecord::run_captured_child(spec, nullptr);
  EXPECT_EQ(result.exit_code, 0u);
  EXPECT_EQ(result.stdin_closed_reason, "eof");
  spec.stdin_bytes.reset();  // NUL: nothing fed, no reason
  spec.argv.back() = L"expect:";
  EXPECT_EQ(ctrecord::run_captured_child(spec, nullptr).stdin_closed_reason, "");
}

TEST(SpawnWindows, TheMirrorReachesThisProcesssStdoutAndStderr) {
  TestPipe out;
  TestPipe err;
  ASSERT_TRUE(out.read && err.read);
  auto spec = child({L"out:to-out", L"err:to-err"});
  spec.mirror = true;
  Collected chunks;
  {
    StdHandleSwap out_swap(STD_OUTPUT_HANDLE, out.write.get());
    StdHandleSwap err_swap(STD_ERROR_HANDLE, err.write.get());
    ctrecord::run_captured_child(spec, chunks.handler());
  }
  out.write.reset();
  err.write.reset();
  EXPECT_EQ(out.read_all(), "to-out\r\n");
  EXPECT_EQ(err.read_all(), "to-err\r\n");
  EXPECT_EQ(chunks.bytes(Stream::Stdout), "to-out\r\n");
}
