// Windows back end of spawn mode: pipes, CreateProcessW with a handle list, reader threads,
// stdin feeder, exit code.
#include "ctrecord/spawn_windows.hpp"

#include <array>
#include <memory>
#include <thread>
#include <utility>

#include "ctrecord/win_error.hpp"
#include "ctrecord/win_handle.hpp"
#include "pipe_reader_windows.hpp"

namespace ctrecord {

namespace {

std::string narrow(const std::wstring& text) {
  std::string out;
  for (wchar_t c : text) out.push_back(c < 0x80 ? static_cast<char>(c) : '?');
  return out;
}

struct Pipe {
  UniqueHandle read;
  UniqueHandle write;
};

// A pipe with neither end inheritable; the child's end is made inheritable by the caller
// (the handle list still limits what CreateProcess passes on).
Pipe make_pipe(const char* what) {
  HANDLE read = nullptr;
  HANDLE write = nullptr;
  if (!CreatePipe(&read, &write, nullptr, 1 << 20)) throw last_win_error("CreatePipe", what);
  return Pipe{UniqueHandle(read), UniqueHandle(write)};
}

void make_inheritable(HANDLE handle, const char* what) {
  if (!SetHandleInformation(handle, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT))
    throw last_win_error("SetHandleInformation", what);
}

UniqueHandle open_nul() {
  SECURITY_ATTRIBUTES inherit{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
  UniqueHandle nul(CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit,
                               OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr));
  if (!nul) throw last_win_error("CreateFileW", "NUL");
  return nul;
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

std::wstring quote_command_line(const std::vector<std::wstring>& argv) {
  // The rules of CommandLineToArgvW: backslashes are literal unless they precede a quote.
  std::wstring line;
  for (const std::wstring& arg : argv) {
    if (!line.empty()) line += L' ';
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
  const std::string exe = narrow(spec.executable);
  Pipe out = make_pipe("stdout");
  Pipe err = make_pipe("stderr");
  make_inheritable(out.write.get(), "stdout");
  make_inheritable(err.write.get(), "stderr");
  Pipe in;
  UniqueHandle child_stdin;
  if (spec.stdin_bytes) {
    in = make_pipe("stdin");
    make_inheritable(in.read.get(), "stdin");
    child_stdin = std::move(in.read);
  } else {
    child_stdin = open_nul();
  }

  HandleListAttribute handle_list({child_stdin.get(), out.write.get(), err.write.get()});
  STARTUPINFOEXW startup{};
  startup.StartupInfo.cb = sizeof(startup);
  startup.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  startup.StartupInfo.hStdInput = child_stdin.get();
  startup.StartupInfo.hStdOutput = out.write.get();
  startup.StartupInfo.hStdError = err.write.get();
  startup.lpAttributeList = handle_list.get();

  std::wstring command_line = quote_command_line(spec.argv);
  PROCESS_INFORMATION info{};
  if (!CreateProcessW(spec.executable.c_str(), command_line.data(), nullptr, nullptr, TRUE,
                      EXTENDED_STARTUPINFO_PRESENT, nullptr, nullptr, &startup.StartupInfo, &info))
    throw last_win_error("CreateProcessW", exe);
  UniqueHandle process(info.hProcess);
  UniqueHandle(info.hThread).reset();

  // Our copies of the child's ends go now, so the pipes end when the child's copies do.
  child_stdin.reset();
  out.write.reset();
  err.write.reset();

  ChunkSink sink(on_chunk);
  WinChildResult result;
  DWORD exit_code_error = ERROR_SUCCESS;
  {
    PipeReader out_reader(Stream::Stdout, std::move(out.read),
                          spec.mirror ? console_handle(STD_OUTPUT_HANDLE) : nullptr, sink);
    PipeReader err_reader(Stream::Stderr, std::move(err.read),
                          spec.mirror ? console_handle(STD_ERROR_HANDLE) : nullptr, sink);
    std::thread feeder;
    if (spec.stdin_bytes) {
      feeder = std::thread([&sink, &spec, write_end = std::move(in.write)]() mutable {
        // A child that exits without reading everything ends the feeding (broken pipe).
        const std::string& bytes = *spec.stdin_bytes;
        if (write_all(write_end.get(), bytes.data(), bytes.size()) && !bytes.empty())
          sink.deliver(Stream::Stdin, bytes);
        write_end.reset();
      });
    }
    WaitForSingleObject(process.get(), INFINITE);
    if (!GetExitCodeProcess(process.get(), &result.exit_code)) exit_code_error = GetLastError();
    if (feeder.joinable()) feeder.join();
    out_reader.join();
    err_reader.join();
    result.read_error = !out_reader.error().empty() ? out_reader.error() : err_reader.error();
  }
  if (exit_code_error != ERROR_SUCCESS) throw win_error("GetExitCodeProcess", exe, exit_code_error);
  return result;
}

}  // namespace ctrecord
