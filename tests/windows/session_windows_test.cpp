// In-process capture on Windows (WinSession): CRT text-mode bytes kept raw, raw WriteFile
// bytes, the console kept live, descriptors and std handles restored to the same files,
// the text/binary mode kept, one session at a time, no handle growth over start/stop loops.
#include "ctrecord/session_windows.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <io.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "ctrecord/errors.hpp"
#include "handle_count.hpp"
#include "test_util.hpp"

using ctrecord::Stream;

namespace {

void write_raw(DWORD std_id, const std::string& bytes) {
  DWORD written = 0;
  WriteFile(GetStdHandle(std_id), bytes.data(), static_cast<DWORD>(bytes.size()), &written,
            nullptr);
}

// Points descriptor 1 and STD_OUTPUT_HANDLE at a fresh file for the test's lifetime, so what
// reaches "the console" can be read back; puts the test runner's stdout back at the end.
class StdoutToFile {
 public:
  explicit StdoutToFile(const char* path) : path_(path) {
    std::fflush(nullptr);
    saved_ = _dup(1);
    const int fd = _open(path, _O_CREAT | _O_TRUNC | _O_WRONLY | _O_TEXT, 0600);
    _dup2(fd, 1);
    _close(fd);
    SetStdHandle(STD_OUTPUT_HANDLE, reinterpret_cast<HANDLE>(_get_osfhandle(1)));
  }
  ~StdoutToFile() {
    std::fflush(nullptr);
    _dup2(saved_, 1);
    _close(saved_);
    SetStdHandle(STD_OUTPUT_HANDLE, reinterpret_cast<HANDLE>(_get_osfhandle(1)));
    std::remove(path_);
  }
  std::string contents() const {
    std::fflush(nullptr);
    std::ifstream in(path_, std::ios::binary);
    std::ostringstream all;
    all << in.rdbuf();
    return all.str();
  }

 private:
  const char* path_;
  int saved_ = -1;
};

}  // namespace

TEST(SessionWindows, CapturesCrtTextModeAndRawBytesExactly) {
  StdoutToFile console("session_bytes.txt");
  ChunkCollector chunks;
  auto session = ctrecord::WinSession::start({.on_chunk = chunks.handler(), .mirror = false});
  std::printf("printf\n");
  std::cout << "cout" << std::endl;
  write_raw(STD_OUTPUT_HANDLE, "raw\n");
  std::fprintf(stderr, "err\n");
  write_raw(STD_ERROR_HANDLE, "raw-err\n");
  const auto report = session.stop();
  EXPECT_EQ(report.read_error, "");
  EXPECT_EQ(chunks.bytes(Stream::Stdout), "printf\r\ncout\r\nraw\n");
  EXPECT_EQ(chunks.bytes(Stream::Stderr), "err\r\nraw-err\n");
}

TEST(SessionWindows, TheConsoleStaysLiveAndGetsItsStreamBack) {
  StdoutToFile console("session_console.txt");
  std::printf("before\n");
  const HANDLE std_before = GetStdHandle(STD_OUTPUT_HANDLE);
  ASSERT_EQ(std_before, reinterpret_cast<HANDLE>(_get_osfhandle(1)));
  ChunkCollector chunks;
  {
    auto session = ctrecord::WinSession::start({.on_chunk = chunks.handler()});
    std::printf("during\n");
    EXPECT_NE(GetStdHandle(STD_OUTPUT_HANDLE), std_before);
    session.stop();
  }
  // Same file behind descriptor 1 and the std handle (a new handle value: _dup2 closed the
  // old one), and they agree.
  EXPECT_EQ(GetStdHandle(STD_OUTPUT_HANDLE), reinterpret_cast<HANDLE>(_get_osfhandle(1)));
  std::printf("after\n");
  write_raw(STD_OUTPUT_HANDLE, "after-raw\n");
  EXPECT_EQ(console.contents(), "before\r\nduring\r\nafter\r\nafter-raw\n");
  EXPECT_EQ(chunks.bytes(Stream::Stdout), "during\r\n");
}

TEST(SessionWindows, AStdHandleThatWasNotTheDescriptorsIsRestoredAsTheSameValue) {
  // STD_ERROR_HANDLE pointed somewhere else than descriptor 2: it comes back as that value.
  SECURITY_ATTRIBUTES plain{sizeof(SECURITY_ATTRIBUTES), nullptr, FALSE};
  HANDLE read = nullptr;
  HANDLE write = nullptr;
  ASSERT_TRUE(CreatePipe(&read, &write, &plain, 0));
  const HANDLE original = GetStdHandle(STD_ERROR_HANDLE);
  SetStdHandle(STD_ERROR_HANDLE, write);
  {
    ChunkCollector chunks;
    auto session = ctrecord::WinSession::start({.on_chunk = chunks.handler(), .mirror = false});
    session.stop();
  }
  EXPECT_EQ(GetStdHandle(STD_ERROR_HANDLE), write);
  SetStdHandle(STD_ERROR_HANDLE, original);
  CloseHandle(read);
  CloseHandle(write);
}

TEST(SessionWindows, TheDescriptorsTextOrBinaryModeIsKept) {
  StdoutToFile console("session_mode.txt");
  std::fflush(stdout);
  _setmode(1, _O_BINARY);
  ChunkCollector chunks;
  {
    auto session = ctrecord::WinSession::start({.on_chunk = chunks.handler(), .mirror = false});
    std::printf("binary\n");
    session.stop();
  }
  EXPECT_EQ(chunks.bytes(Stream::Stdout), "binary\n");
  EXPECT_EQ(_setmode(1, _O_TEXT), _O_BINARY);  // still binary after stop
}

TEST(SessionWindows, OnlyOneSessionAtATime) {
  ChunkCollector chunks;
  auto session = ctrecord::WinSession::start({.on_chunk = chunks.handler(), .mirror = false});
  EXPECT_THROW(ctrecord::WinSession::start({.on_chunk = chunks.handler()}), ctrecord::UsageError);
  EXPECT_TRUE(session.active());
  session.stop();
  EXPECT_FALSE(session.active());
  EXPECT_THROW(ctrecord::WinSession::start({}), ctrecord::UsageError);  // no handler
}

TEST(SessionWindows, StartStopLoopsLeakNoHandle) {
  StdoutToFile console("session_loop.txt");
  ctrecord::WinSession::start({.on_chunk = [](ctrecord::IoChunk) {}}).stop();  // warm-up
  const long before = process_handle_count();
  ASSERT_GT(before, 0);
  for (int i = 0; i < 500; ++i) {
    ChunkCollector chunks;
    auto session = ctrecord::WinSession::start({.on_chunk = chunks.handler(), .mirror = false});
    std::printf("cycle %d\n", i);
    std::fprintf(stderr, "e%d\n", i);
    session.stop();
    ASSERT_EQ(chunks.bytes(Stream::Stdout), "cycle " + std::to_string(i) + "\r\n");
    ASSERT_EQ(chunks.bytes(Stream::Stderr), "e" + std::to_string(i) + "\r\n");
  }
  EXPECT_EQ(process_handle_count(), before);
}
