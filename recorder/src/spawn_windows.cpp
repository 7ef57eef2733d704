// Windows back end of spawn mode: PATH lookup, environment block, pipes, CreateProcessW with a
// handle list, reader threads, stdin feeder, exit code.
#include "ctrecord/spawn_windows.hpp"

#include <pthread.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>

#include "ctrecord/win_error.hpp"
#include "ctrecord/win_handle.hpp"
#include "ctrecord/win_text.hpp"
#include "pipe_reader_windows.hpp"

namespace ctrecord {

namespace {

std::string narrow(const std::wstring& text) {
  return utf8_from_wide(text);  // UTF-8 for messages (a lone surrogate becomes U+FFFD)
}

bool is_separator(wchar_t c) {
  return c == L'\\' || c == L'/';
}

bool has_directory_part(const std::wstring& name) {
  return name.find_first_of(L"\\/:") != std::wstring::npos;
}

bool is_absolute(const std::wstring& path) {
  return (!path.empty() && is_separator(path[0])) || (path.size() >= 2 && path[1] == L':');
}

// The last component has a '.': CreateProcess then appends no ".exe".
bool has_extension(const std::wstring& name) {
  const std::size_t dot = name.find_last_of(L'.');
  if (dot == std::wstring::npos) return false;
  const std::size_t separator = name.find_last_of(L"\\/:");
  return separator == std::wstring::npos || dot > separator;
}

bool is_file(const std::wstring& path) {
  const DWORD attributes = GetFileAttributesW(path.c_str());
  return attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_DIRECTORY) == 0;
}

std::wstring environment_variable(const wchar_t* name) {
  std::wstring value(256, L'\0');
  for (;;) {
    const DWORD length =
        GetEnvironmentVariableW(name, value.data(), static_cast<DWORD>(value.size()));
    if (length == 0) return {};
    if (length < value.size()) {
      value.resize(length);
      return value;
    }
    value.resize(length);  // too small: `length` includes the terminating null
  }
}

// The UTF-16 environment block: entries sorted by name without regard to case, each
// null-terminated, and one more null at the end.
std::wstring environment_block(std::vector<std::wstring> entries) {
  for (const std::wstring& entry : entries) {
    // "=C:=C:\dir" (a drive's current directory) has its '=' after the first character.
    if (entry.find(L'=', 1) == std::wstring::npos || entry.find(L'\0') != std::wstring::npos)
      throw UsageError("environment entry \"" + narrow(entry.substr(0, entry.find(L'\0'))) +
                       "\" is not NAME=VALUE");
  }
  const auto name_of = [](const std::wstring& entry) {
    return std::wstring_view(entry).substr(0, entry.find(L'=', 1));
  };
  std::stable_sort(entries.begin(), entries.end(), [&](const auto& a, const auto& b) {
    const std::wstring_view x = name_of(a);
    const std::wstring_view y = name_of(b);
    return CompareStringOrdinal(x.data(), static_cast<int>(x.size()), y.data(),
                                static_cast<int>(y.size()), TRUE) == CSTR_LESS_THAN;
  });
  std::wstring block;
  for (const std::wstring& entry : entries) {
    block += entry;
    block += L'\0';
  }
  if (entries.empty()) block += L'\0';  // an empty block is two nulls
  block += L'\0';
  return block;
}

struct Pipe {
  UniqueHandle read;
  UniqueHandle write;
};

// A pipe with neither end inheritable; the child's end is made inheritable only around
// CreateProcessW (InheritableWhileSpawning).
Pipe make_pipe(const char* what) {
  HANDLE read = nullptr;
  HANDLE write = nullptr;
  if (!CreatePipe(&read, &write, nullptr, 1 << 20)) throw last_win_error("CreatePipe", what);
  return Pipe{UniqueHandle(read), UniqueHandle(write)};
}

// The child's three handles are inheritable only while this object lives: made so right
// before CreateProcessW, and not inheritable again right after. Another thread's
// CreateProcess(bInheritHandles=TRUE) without a handle list can still pass them on inside
// that window (a few system calls long); handles created inheritable would be exposed from
// their creation on.
class InheritableWhileSpawning {
 public:
  explicit InheritableWhileSpawning(std::array<HANDLE, 3> handles) : handles_(handles) {
    for (HANDLE handle : handles_) {
      if (!SetHandleInformation(handle, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT)) {
        const DWORD error = GetLastError();
        reset();
        throw win_error("SetHandleInformation", "child's standard handle", error);
      }
    }
  }
  InheritableWhileSpawning(const InheritableWhileSpawning&) = delete;
  InheritableWhileSpawning& operator=(const InheritableWhileSpawning&) = delete;
  ~InheritableWhileSpawning() { reset(); }

 private:
  void reset() noexcept {
    for (HANDLE handle : handles_) SetHandleInformation(handle, HANDLE_FLAG_INHERIT, 0);
  }
  std::array<HANDLE, 3> handles_;
};

UniqueHandle open_nul() {
  UniqueHandle nul(CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr,
                               OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr));
  if (!nul) throw last_win_error("CreateFileW", "NUL");
  return nul;
}

HANDLE thread_handle(std::thread& thread) {
  return static_cast<HANDLE>(pthread_gethandle(thread.native_handle()));
}

// Writes the child's stdin on a thread of its own, piece by piece, handing each piece on once
// it is in the pipe: a child that reads part of its stdin and exits leaves a record of what
// it was given. stop() ends it at once even when a WriteFile is blocked (a descendant holds
// the read end and never reads): CancelSynchronousIo, repeated until the thread acknowledged
// (a cancel that comes while the thread is between two WriteFile calls is lost).
class StdinWriter {
 public:
  StdinWriter(const std::string& bytes, UniqueHandle write_end, ChunkSink& sink)
      : bytes_(bytes),
        write_end_(std::move(write_end)),
        finished_(CreateEventW(nullptr, TRUE, FALSE, nullptr)),
        sink_(sink) {
    if (!finished_) throw last_win_error("CreateEventW", "stdin");
    thread_ = std::thread([this] {
      run();
      SetEvent(finished_.get());
    });
  }
  StdinWriter(const StdinWriter&) = delete;
  StdinWriter& operator=(const StdinWriter&) = delete;
  ~StdinWriter() { stop(); }

  // Ends the feeding now (the rest of the bytes are not written) and joins. Idempotent.
  void stop() noexcept {
    if (!thread_.joinable()) return;
    if (WaitForSingleObject(finished_.get(), 0) != WAIT_OBJECT_0) {
      cancelled_ = true;
      do {
        CancelSynchronousIo(thread_handle(thread_));
      } while (WaitForSingleObject(finished_.get(), 10) != WAIT_OBJECT_0);
    }
    thread_.join();
  }
  // A write or the handler failed ("" when neither did). Read after stop().
  const std::string& error() const noexcept { return error_; }
  // Why the feeding ended, as POSIX's stdin stream_closed reasons: "eof" (all written),
  // "child-closed" (the child closed its stdin), "child-exited" (stopped when the child
  // exited), "write-error". Read after stop().
  const char* closed_reason() const noexcept { return closed_reason_; }

 private:
  static constexpr std::size_t kPiece = 64 * 1024;

  void run() noexcept {
    std::size_t offset = 0;
    while (offset < bytes_.size() && !cancelled_) {
      const DWORD request = static_cast<DWORD>(std::min(kPiece, bytes_.size() - offset));
      DWORD written = 0;
      const BOOL ok =
          WriteFile(write_end_.get(), bytes_.data() + offset, request, &written, nullptr);
      const DWORD err = ok ? ERROR_SUCCESS : GetLastError();
      if (written > 0) deliver(bytes_.data() + offset, written);
      offset += written;
      // A child that exits without reading everything ends the feeding (broken pipe, or
      // ERROR_NO_DATA while the pipe is being closed): no error, as on POSIX.
      if (!ok) {
        if (err == ERROR_BROKEN_PIPE || err == ERROR_NO_DATA) {
          closed_reason_ = "child-closed";
        } else if (err == ERROR_OPERATION_ABORTED && cancelled_) {
          closed_reason_ = "child-exited";
        } else {
          closed_reason_ = "write-error";
          if (error_.empty()) error_ = "WriteFile stdin: " + win_error_text(err);
        }
        break;
      }
    }
    if (offset == bytes_.size()) {
      closed_reason_ = "eof";
    } else if (cancelled_ && closed_reason_ == nullptr) {
      closed_reason_ = "child-exited";
    }
    write_end_.reset();  // the child's EOF
  }

  // The sink never throws: a handler failure comes back as false and its text as error().
  void deliver(const char* bytes, std::size_t size) noexcept {
    if (sink_.deliver(Stream::Stdin, bytes, size) || !error_.empty()) return;
    try {
      error_ = sink_.error();
    } catch (...) {  // no memory for the text: the result still says something failed
    }
    if (error_.empty()) error_ = "chunk handler (stdin) failed";
  }

  const std::string& bytes_;
  UniqueHandle write_end_;
  UniqueHandle finished_;
  ChunkSink& sink_;
  std::atomic<bool> cancelled_{false};
  std::string error_;
  const char* closed_reason_ = nullptr;  // the thread's until stop() joined it
  std::thread thread_;
};

// The caller's handler, with stdin chunks' producer 0, as on POSIX (the sink stamps the
// child's pid on every chunk; it also catches whatever the handler throws).
ChunkHandler with_stdin_producer_zero(const ChunkHandler& on_chunk) {
  return [&on_chunk](IoChunk chunk) {
    if (chunk.stream == Stream::Stdin) chunk.producer = 0;
    if (on_chunk) on_chunk(std::move(chunk));
  };
}

// PROC_THREAD_ATTRIBUTE_LIST holding the handle list; deleted with the object. The handles
// array must outlive CreateProcess, so it lives here too.
class HandleListAttribute {
 public:
  explicit HandleListAttribute(std::array<HANDLE, 3> handles) : handles_(handles) {
    SIZE_T size = 0;
    InitializeProcThreadAttributeList(nullptr, 1, 0, &size);
    storage_ = std::make_unique<char[]>(size);
    list_ = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(storage_.get());
    if (!InitializeProcThreadAttributeList(list_, 1, 0, &size))
      throw last_win_error("InitializeProcThreadAttributeList", "handle list");
    initialised_ = true;
    // The same handle twice is an error: stdout and stderr are always distinct pipes here.
    if (!UpdateProcThreadAttribute(list_, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, handles_.data(),
                                   sizeof(HANDLE) * handles_.size(), nullptr, nullptr))
      throw last_win_error("UpdateProcThreadAttribute", "PROC_THREAD_ATTRIBUTE_HANDLE_LIST");
  }
  HandleListAttribute(const HandleListAttribute&) = delete;
  HandleListAttribute& operator=(const HandleListAttribute&) = delete;
  ~HandleListAttribute() {
    if (initialised_) DeleteProcThreadAttributeList(list_);
  }
  LPPROC_THREAD_ATTRIBUTE_LIST get() const noexcept { return list_; }

 private:
  std::array<HANDLE, 3> handles_;
  std::unique_ptr<char[]> storage_;
  LPPROC_THREAD_ATTRIBUTE_LIST list_ = nullptr;
  bool initialised_ = false;
};

HANDLE console_handle(DWORD std_id) {
  HANDLE handle = GetStdHandle(std_id);
  return handle == INVALID_HANDLE_VALUE ? nullptr : handle;
}

}  // namespace

ResolvedWinCommand resolve_win_command(const std::wstring& name, const wchar_t* path_env) {
  if (name.empty()) return {L"", ERROR_FILE_NOT_FOUND};
  const bool append_exe = !has_extension(name);
  if (has_directory_part(name)) {
    if (append_exe && !is_file(name) && is_file(name + L".exe")) return {name + L".exe", 0};
    return {name, 0};  // CreateProcessW reports what is wrong with it
  }
  const std::wstring search = path_env != nullptr ? path_env : environment_variable(L"PATH");
  std::size_t begin = 0;
  while (begin <= search.size()) {
    std::size_t end = search.find(L';', begin);
    if (end == std::wstring::npos) end = search.size();
    std::wstring dir = search.substr(begin, end - begin);
    begin = end + 1;
    dir.erase(std::remove(dir.begin(), dir.end(), L'"'), dir.end());
    if (dir.empty()) continue;
    if (!is_separator(dir.back())) dir += L'\\';
    const std::wstring candidate = dir + name + (append_exe ? L".exe" : L"");
    if (is_file(candidate)) return {candidate, 0};
  }
  return {L"", ERROR_FILE_NOT_FOUND};
}

std::wstring quote_command_line(const std::vector<std::wstring>& argv) {
  std::wstring line;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::wstring& arg = argv[i];
    if (i == 0) {
      // The program name: no escapes in CommandLineToArgvW or the CRT. Quoted, it runs to the
      // next '"'; unquoted, to the first space or tab.
      if (arg.find(L'"') != std::wstring::npos)
        throw UsageError("argv[0] \"" + narrow(arg) +
                         "\" contains '\"', which a Windows command line cannot carry");
      if (arg.empty() || arg.find_first_of(L" \t\n\v") != std::wstring::npos) {
        line += L'"' + arg + L'"';
      } else {
        line += arg;
      }
      continue;
    }
    line += L' ';
    // The rules of CommandLineToArgvW: backslashes are literal unless they precede a quote.
    if (!arg.empty() && arg.find_first_of(L" \t\n\v\"") == std::wstring::npos) {
      line += arg;
      continue;
    }
    line += L'"';
    std::size_t backslashes = 0;
    for (wchar_t c : arg) {
      if (c == L'\\') {
        ++backslashes;
        continue;
      }
      if (c == L'"') backslashes = backslashes * 2 + 1;
      line.append(backslashes, L'\\');
      backslashes = 0;
      line += c;
    }
    line.append(backslashes * 2, L'\\');
    line += L'"';
  }
  return line;
}

WinChildResult run_captured_child(const WinChildSpec& spec, const ChunkHandler& on_chunk) {
  // A relative path with a directory part is relative to where the child runs.
  std::wstring name = spec.executable;
  if (!spec.cwd.empty() && has_directory_part(name) && !is_absolute(name))
    name = spec.cwd + (is_separator(spec.cwd.back()) ? L"" : L"\\") + name;
  const ResolvedWinCommand command = resolve_win_command(name, nullptr);
  if (command.path.empty())
    throw WinSpawnError("cannot run '" + narrow(spec.executable) +
                            "': not found in PATH: " + win_error_text(command.error),
                        command.error);
  const std::string exe = narrow(command.path);
  std::wstring environment;
  if (spec.environment) environment = environment_block(*spec.environment);

  std::wstring command_line = quote_command_line(spec.argv);

  Pipe out = make_pipe("stdout");
  Pipe err = make_pipe("stderr");
  Pipe in;
  UniqueHandle child_stdin;
  if (spec.stdin_bytes) {
    in = make_pipe("stdin");
    child_stdin = std::move(in.read);
  } else {
    child_stdin = open_nul();
  }

  PROCESS_INFORMATION info{};
  {
    HandleListAttribute handle_list({child_stdin.get(), out.write.get(), err.write.get()});
    STARTUPINFOEXW startup{};
    startup.StartupInfo.cb = sizeof(startup);
    startup.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
    startup.StartupInfo.hStdInput = child_stdin.get();
    startup.StartupInfo.hStdOutput = out.write.get();
    startup.StartupInfo.hStdError = err.write.get();
    startup.lpAttributeList = handle_list.get();
    DWORD flags = EXTENDED_STARTUPINFO_PRESENT;
    if (spec.environment) flags |= CREATE_UNICODE_ENVIRONMENT;
    InheritableWhileSpawning inheritable({child_stdin.get(), out.write.get(), err.write.get()});
    if (!CreateProcessW(command.path.c_str(), command_line.data(), nullptr, nullptr, TRUE, flags,
                        spec.environment ? environment.data() : nullptr,
                        spec.cwd.empty() ? nullptr : spec.cwd.c_str(), &startup.StartupInfo,
                        &info)) {
      const DWORD error = GetLastError();
      std::string what = "CreateProcessW " + exe;
      if (!spec.cwd.empty()) what += " (cwd " + narrow(spec.cwd) + ")";
      throw WinSpawnError(what + ": " + win_error_text(error), error);
    }
  }
  const auto started_at = std::chrono::steady_clock::now();
  UniqueHandle process(info.hProcess);
  UniqueHandle(info.hThread).reset();

  // Our copies of the child's ends go now, so the pipes end when the child's copies do.
  child_stdin.reset();
  out.write.reset();
  err.write.reset();

  WinChildResult result;
  result.pid = info.dwProcessId;
  const ChunkHandler handler = with_stdin_producer_zero(on_chunk);
  ChunkSink sink(handler, result.pid);
  std::optional<PipeReader> out_reader;
  std::optional<PipeReader> err_reader;
  std::optional<StdinWriter> feeder;
  // Stops everything without waiting for anyone: the child killed, stdin's write end closed,
  // blocked reads cancelled. For a failure after CreateProcessW.
  const auto abandon = [&]() noexcept {
    if (feeder) feeder->stop();
    in.write.reset();
    TerminateProcess(process.get(), 1);
    WaitForSingleObject(process.get(), 5000);
    PipeReader* const readers[] = {out_reader ? &*out_reader : nullptr,
                                   err_reader ? &*err_reader : nullptr};
    PipeReader::drain(readers, 2, std::chrono::milliseconds(0));
  };
  try {
    if (spec.on_started) spec.on_started(result.pid);
    out_reader.emplace(Stream::Stdout, std::move(out.read),
                       spec.mirror ? console_handle(STD_OUTPUT_HANDLE) : nullptr, sink);
    err_reader.emplace(Stream::Stderr, std::move(err.read),
                       spec.mirror ? console_handle(STD_ERROR_HANDLE) : nullptr, sink);
    if (spec.stdin_bytes) feeder.emplace(*spec.stdin_bytes, std::move(in.write), sink);
    const DWORD waited = WaitForSingleObject(process.get(), INFINITE);
    if (waited != WAIT_OBJECT_0) {
      const DWORD error = waited == WAIT_FAILED ? GetLastError() : ERROR_INVALID_STATE;
      throw win_error("WaitForSingleObject", "process " + std::to_string(result.pid), error);
    }
    result.run_time = std::chrono::steady_clock::now() - started_at;
    if (!GetExitCodeProcess(process.get(), &result.exit_code))
      throw last_win_error("GetExitCodeProcess", exe);
  } catch (...) {
    abandon();
    throw;
  }
  // The child is gone: stdin stops (as on POSIX); the output pipes are read to their end, and
  // a pipe that sat idle for drain_timeout while a descendant still held it is given up.
  if (feeder) feeder->stop();
  PipeReader* const readers[] = {&*out_reader, &*err_reader};
  PipeReader::drain(readers, 2, spec.drain_timeout);
  if (out_reader->held_open()) result.held_open.push_back(Stream::Stdout);
  if (err_reader->held_open()) result.held_open.push_back(Stream::Stderr);
  if (feeder && feeder->closed_reason() != nullptr)
    result.stdin_closed_reason = feeder->closed_reason();
  for (const std::string* error :
       {&out_reader->error(), &err_reader->error(), feeder ? &feeder->error() : nullptr}) {
    if (error != nullptr && !error->empty() && result.read_error.empty())
      result.read_error = *error;
  }
  return result;
}

}  // namespace ctrecord
