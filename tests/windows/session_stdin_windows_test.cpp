// In-process stdin capture on Windows (WinSession, capture_stdin): a pipe stdin fed through the
// capture pipe (bytes exact, what was not consumed counted, nothing stolen after stop), CRT
// text mode translated for the program but recorded raw, a file stdin left in place with its
// consumed range recorded, stop never waiting for input or for a program that stopped
// reading, descriptor 0 / STD_INPUT_HANDLE / text mode restored, and no handle growth.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <io.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "ctrecord/session_windows.hpp"
#include "ctrecord/win_handle.hpp"
#include "handle_count.hpp"
#include "test_util.hpp"

using ctrecord::Stream;

// Checks come after stop(): a failure message printed while stdout is captured unmirrored
// would be lost.

namespace {

HANDLE os_handle(int fd) {
  return reinterpret_cast<HANDLE>(_get_osfhandle(fd));
}

// Makes `fd` (taken over; -1: closed) descriptor 0 and STD_INPUT_HANDLE for the test's
// lifetime, then puts the runner's stdin back.
class StdinFrom {
 public:
  explicit StdinFrom(int fd) {
    saved_ = _dup(0);
    if (fd == -1) {
      _close(0);
    } else {
      _dup2(fd, 0);
      _close(fd);
    }
    SetStdHandle(STD_INPUT_HANDLE, fd == -1 ? nullptr : os_handle(0));
  }
  StdinFrom(const StdinFrom&) = delete;
  StdinFrom& operator=(const StdinFrom&) = delete;
  ~StdinFrom() {
    _dup2(saved_, 0);
    _close(saved_);
    SetStdHandle(STD_INPUT_HANDLE, os_handle(0));
  }

 private:
  int saved_ = -1;
};

// A pipe whose read end becomes descriptor 0 (in `mode`); the test keeps the write end.
struct PipeStdin {
  explicit PipeStdin(int mode = _O_BINARY) {
    HANDLE read = nullptr;
    HANDLE write = nullptr;
    CreatePipe(&read, &write, nullptr, 0);
    writer.reset(write);
    stdin_from.emplace(_open_osfhandle(reinterpret_cast<intptr_t>(read), _O_RDONLY | mode));
  }
  void send(const std::string& bytes) {
    DWORD written = 0;
    ASSERT_TRUE(
        WriteFile(writer.get(), bytes.data(), static_cast<DWORD>(bytes.size()), &written, nullptr));
    ASSERT_EQ(written, bytes.size());
  }
  ctrecord::UniqueHandle writer;
  std::optional<StdinFrom> stdin_from;
};

// Reads `count` bytes from descriptor 0 (fewer at its end).
std::string read_stdin(std::size_t count) {
  std::string all;
  char buffer[4096];
  while (all.size() < count) {
    const int want = static_cast<int>(std::min(sizeof buffer, count - all.size()));
    const int got = _read(0, buffer, static_cast<unsigned>(want));
    if (got <= 0) break;
    all.append(buffer, static_cast<std::size_t>(got));
  }
  return all;
}

// Waits up to 10 s until `chunks` holds `size` stdin bytes.
bool wait_for_stdin(ChunkCollector& chunks, std::size_t size) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (chunks.bytes(Stream::Stdin).size() < size) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    Sleep(5);
  }
  return true;
}

std::string write_file(const char* path, const std::string& bytes) {
  FILE* file = std::fopen(path, "wb");
  std::fwrite(bytes.data(), 1, bytes.size(), file);
  std::fclose(file);
  return path;
}

ctrecord::WinSessionOptions quiet(ChunkCollector& chunks) {
  return {.on_chunk = chunks.handler(), .mirror = false};
}

}  // namespace

TEST(SessionStdinWindows, APipeStdinIsFedRecordedAndTheUnreadRestCounted) {
  PipeStdin input;
  const std::string sent("first\r\nsecond\0\xff\n", 16);
  input.send(sent);
  const HANDLE std_before = GetStdHandle(STD_INPUT_HANDLE);
  ASSERT_EQ(std_before, os_handle(0));
  ChunkCollector chunks;
  auto session = ctrecord::WinSession::start(quiet(chunks));
  const HANDLE fd_during = os_handle(0);
  const HANDLE std_during = GetStdHandle(STD_INPUT_HANDLE);
  const std::string read = read_stdin(7);
  const bool fed_all = wait_for_stdin(chunks, sent.size());
  const auto report = session.stop();
  EXPECT_NE(fd_during, std_before);  // descriptor 0 was the capture pipe
  EXPECT_EQ(std_during, fd_during);
  EXPECT_EQ(read, "first\r\n");
  EXPECT_TRUE(fed_all);
  EXPECT_EQ(report.read_error, "");
  EXPECT_EQ(chunks.bytes(Stream::Stdin), sent);
  EXPECT_EQ(report.stdin_unconsumed_bytes, sent.size() - 7);

  // The original pipe is back behind both, and the stopped feeder takes nothing more from it.
  EXPECT_EQ(GetStdHandle(STD_INPUT_HANDLE), os_handle(0));
  EXPECT_EQ(GetFileType(os_handle(0)), static_cast<DWORD>(FILE_TYPE_PIPE));
  input.send("after");
  EXPECT_EQ(read_stdin(5), "after");
  EXPECT_EQ(chunks.bytes(Stream::Stdin), sent);
}

TEST(SessionStdinWindows, TextModeStdinIsTranslatedForTheProgramButRecordedRaw) {
  PipeStdin input(_O_TEXT);
  input.send("a\r\nb\r\n");
  input.writer.reset();  // the end of stdin
  ChunkCollector chunks;
  auto session = ctrecord::WinSession::start(quiet(chunks));
  const std::string read = read_stdin(100);  // to the end: the feeder passed the end on
  const auto report = session.stop();
  EXPECT_EQ(read, "a\nb\n");
  EXPECT_EQ(chunks.bytes(Stream::Stdin), "a\r\nb\r\n");
  EXPECT_EQ(report.stdin_unconsumed_bytes, 0u);
  EXPECT_EQ(report.read_error, "");
  EXPECT_EQ(_setmode(0, _O_BINARY), _O_TEXT);  // still text after stop
}

TEST(SessionStdinWindows, BinaryModeIsKeptToo) {
  PipeStdin input(_O_BINARY);
  input.send("x\r\n");
  ChunkCollector chunks;
  auto session = ctrecord::WinSession::start(quiet(chunks));
  const std::string read = read_stdin(3);
  session.stop();
  EXPECT_EQ(read, "x\r\n");
  EXPECT_EQ(_setmode(0, _O_TEXT), _O_BINARY);
}

TEST(SessionStdinWindows, AFileStdinStaysInPlaceAndItsConsumedBytesAreRecorded) {
  const std::string path = write_file("session_stdin.txt", "line1\r\nline2\r\nrest");
  {
    StdinFrom from(_open(path.c_str(), _O_RDONLY | _O_BINARY));
    const HANDLE before = os_handle(0);
    EXPECT_EQ(read_stdin(7), "line1\r\n");  // consumed before start: not recorded
    ChunkCollector chunks;
    auto session = ctrecord::WinSession::start(quiet(chunks));
    const HANDLE fd_during = os_handle(0);
    const HANDLE std_during = GetStdHandle(STD_INPUT_HANDLE);
    const std::string read = read_stdin(7);
    const auto report = session.stop();
    EXPECT_EQ(fd_during, before);  // left in place: no pipe, no read-ahead
    EXPECT_EQ(std_during, before);
    EXPECT_EQ(read, "line2\r\n");
    EXPECT_EQ(report.read_error, "");
    EXPECT_EQ(report.stdin_unconsumed_bytes, 0u);
    EXPECT_EQ(chunks.bytes(Stream::Stdin), "line2\r\n");
    // Reading the range back did not move the position the program reads from.
    EXPECT_EQ(os_handle(0), before);
    EXPECT_EQ(read_stdin(100), "rest");
  }
  std::remove(path.c_str());
}

TEST(SessionStdinWindows, StopNeverWaitsForInput) {
  PipeStdin input;  // the write end stays open and silent: the feeder blocks in ReadFile
  ChunkCollector chunks;
  auto session = ctrecord::WinSession::start(quiet(chunks));
  Sleep(100);
  const auto before = std::chrono::steady_clock::now();
  const auto report = session.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::milliseconds(1000));
  EXPECT_EQ(report.read_error, "");
  EXPECT_EQ(report.stdin_unconsumed_bytes, 0u);
  input.send("later");  // the cancelled read took nothing
  EXPECT_EQ(read_stdin(5), "later");
  EXPECT_EQ(chunks.bytes(Stream::Stdin), "");
}

TEST(SessionStdinWindows, StopNeverWaitsForAProgramThatStoppedReading) {
  // 4 MiB into stdin while the program reads nothing: the feeder fills the capture pipe and
  // blocks in WriteFile. Every byte is afterwards either still in the original stdin or
  // counted as unconsumed.
  PipeStdin input;
  constexpr std::size_t kTotal = 4u << 20;
  std::thread writer([&] {
    const std::string block(64 * 1024, 'z');
    for (std::size_t sent = 0; sent < kTotal; sent += block.size()) {
      DWORD written = 0;
      if (!WriteFile(input.writer.get(), block.data(), static_cast<DWORD>(block.size()), &written,
                     nullptr))
        break;
    }
    input.writer.reset();
  });
  ChunkCollector chunks;
  auto session = ctrecord::WinSession::start(quiet(chunks));
  const bool fed = wait_for_stdin(chunks, 64 * 1024);
  Sleep(300);  // long enough to fill the capture pipe
  const auto before = std::chrono::steady_clock::now();
  const auto report = session.stop();
  const auto took = std::chrono::steady_clock::now() - before;
  const std::size_t rest = read_stdin(kTotal).size();  // to the writer's end
  writer.join();

  EXPECT_TRUE(fed);
  EXPECT_LT(took, std::chrono::milliseconds(2000));
  EXPECT_EQ(report.read_error, "");
  const std::size_t recorded = chunks.bytes(Stream::Stdin).size();
  EXPECT_GT(recorded, 0u);
  EXPECT_LE(recorded, report.stdin_unconsumed_bytes);  // fed, never read by the program
  EXPECT_EQ(report.stdin_unconsumed_bytes + rest, kTotal);
}

TEST(SessionStdinWindows, CaptureStdinFalseLeavesDescriptor0Alone) {
  PipeStdin input;
  input.send("kept");
  const HANDLE before = os_handle(0);
  ChunkCollector chunks;
  auto session = ctrecord::WinSession::start(
      {.on_chunk = chunks.handler(), .mirror = false, .capture_stdin = false});
  const HANDLE during = os_handle(0);
  const std::string read = read_stdin(4);
  const auto report = session.stop();
  EXPECT_EQ(during, before);
  EXPECT_EQ(read, "kept");
  EXPECT_EQ(chunks.bytes(Stream::Stdin), "");
  EXPECT_EQ(report.stdin_unconsumed_bytes, 0u);
}

TEST(SessionStdinWindows, AClosedDescriptor0StaysClosedAndItsStdHandleKept) {
  // The saved copies and pipes of stdout/stderr never take the free number 0, and the std
  // handle (here not descriptor 0's: there is none) is the same value throughout.
  StdinFrom closed(-1);
  HANDLE read = nullptr;
  HANDLE write = nullptr;
  ASSERT_TRUE(CreatePipe(&read, &write, nullptr, 0));
  ctrecord::UniqueHandle other_read(read);
  ctrecord::UniqueHandle other_write(write);
  SetStdHandle(STD_INPUT_HANDLE, read);
  const intptr_t before = _get_osfhandle(0);
  const HANDLE out_before = os_handle(1);  // given back to descriptor 1 with 0 free
  ChunkCollector chunks;
  auto session = ctrecord::WinSession::start(quiet(chunks));
  const intptr_t during = _get_osfhandle(0);
  const HANDLE std_during = GetStdHandle(STD_INPUT_HANDLE);
  std::printf("out\n");
  const auto report = session.stop();
  EXPECT_EQ(os_handle(1), out_before);
  EXPECT_EQ(GetStdHandle(STD_OUTPUT_HANDLE), out_before);
  EXPECT_TRUE(before == -1 || before == -2) << before;
  EXPECT_EQ(during, before);
  EXPECT_EQ(_get_osfhandle(0), before);
  EXPECT_EQ(std_during, read);
  EXPECT_EQ(GetStdHandle(STD_INPUT_HANDLE), read);
  EXPECT_EQ(chunks.bytes(Stream::Stdout), "out\r\n");
  EXPECT_EQ(report.read_error, "");
  EXPECT_EQ(chunks.bytes(Stream::Stdin), "");
}

TEST(SessionStdinWindows, StartStopLoopsWithStdinCaptureLeakNoHandle) {
  // Each cycle: a line into the original stdin pipe, read through the capture pipe, stop
  // (which cancels the feeder's next ReadFile). See StartStopLoopsLeakNoHandle for the +1.
  PipeStdin input;
  for (int i = 0; i < 20; ++i)
    ctrecord::WinSession::start({.on_chunk = [](ctrecord::IoChunk) {}, .mirror = false}).stop();
  const long before = process_handle_count();
  ASSERT_GT(before, 0);
  for (int i = 0; i < 300; ++i) {
    const std::string line = "cycle " + std::to_string(i) + "\n";
    input.send(line);
    ChunkCollector chunks;
    auto session = ctrecord::WinSession::start(quiet(chunks));
    const std::string read = read_stdin(line.size());
    const auto report = session.stop();
    ASSERT_EQ(read, line);
    ASSERT_EQ(chunks.bytes(Stream::Stdin), line);
    ASSERT_EQ(report.stdin_unconsumed_bytes, 0u);
    ASSERT_EQ(report.read_error, "");
  }
  const long after = process_handle_count();
  EXPECT_GE(after, before);
  EXPECT_LE(after, before + 1) << "handles grew from " << before << " to " << after;
}

TEST(SessionStdinWindows, AThrowingHandlerNeverCutsTheProgramsStdin) {
  // The handler throws on the first stdin chunk: the feeder goes on feeding the program.
  PipeStdin input;
  input.send("one\n");
  ctrecord::WinStopReport report;
  std::string read;
  {
    auto session = ctrecord::WinSession::start({.on_chunk =
                                                    [](ctrecord::IoChunk chunk) {
                                                      if (chunk.stream == Stream::Stdin)
                                                        throw std::runtime_error("stdin boom");
                                                    },
                                                .mirror = false});
    read = read_stdin(4);
    input.send("two\n");
    read += read_stdin(4);
    report = session.stop();
  }
  EXPECT_EQ(read, "one\ntwo\n");
  EXPECT_EQ(report.read_error, "chunk handler (stdin): stdin boom");
  EXPECT_EQ(report.stdin_unconsumed_bytes, 0u);
}

TEST(SessionStdinWindows, AUnicodeTextModeStdinIsKeptDuringTheCaptureAndAfter) {
  PipeStdin input(_O_BINARY);
  _setmode(0, _O_U16TEXT);
  // How the CRT reports that mode (Wine's msvcrt says _O_WTEXT for _O_U16TEXT).
  const int unicode = _setmode(0, _O_U16TEXT);
  input.send(std::string("h\0\xe9\0\r\0\n\0", 8));  // UTF-16LE "hé\r\n"
  ChunkCollector chunks;
  int mode_during = -1;
  std::wstring read;
  ctrecord::WinStopReport report;
  {
    auto session = ctrecord::WinSession::start(quiet(chunks));
    mode_during = _setmode(0, _O_BINARY);
    _setmode(0, mode_during);
    wchar_t buffer[8] = {};
    const int got = _read(0, buffer, 6);  // UTF-16 units, "\r\n" made "\n"
    if (got > 0) read.assign(buffer, static_cast<std::size_t>(got) / sizeof(wchar_t));
    report = session.stop();
  }
  const int mode_after = _setmode(0, _O_BINARY);
  EXPECT_TRUE(unicode == _O_U16TEXT || unicode == _O_WTEXT) << unicode;
  EXPECT_EQ(mode_during, unicode);
  EXPECT_EQ(mode_after, unicode);
  EXPECT_EQ(read, L"h\u00e9\n");
  EXPECT_EQ(report.read_error, "");
  EXPECT_EQ(chunks.bytes(Stream::Stdin), std::string("h\0\xe9\0\r\0\n\0", 8));
}

TEST(SessionStdinWindows, AStdinHandleCachedBeforeStartStillWorksAfterStop) {
  PipeStdin input;
  const HANDLE cached = GetStdHandle(STD_INPUT_HANDLE);
  ASSERT_EQ(cached, os_handle(0));
  {
    ChunkCollector chunks;
    ctrecord::WinSession::start(quiet(chunks)).stop();
  }
  input.send("kept");
  char buffer[8] = {};
  DWORD got = 0;
  const BOOL read_ok = ReadFile(cached, buffer, 4, &got, nullptr);
  const DWORD read_error = read_ok ? 0 : GetLastError();
  EXPECT_TRUE(read_ok) << "error " << read_error;
  EXPECT_EQ(std::string(buffer, got), "kept");
  EXPECT_EQ(GetStdHandle(STD_INPUT_HANDLE), cached);
  EXPECT_EQ(os_handle(0), cached);
}
