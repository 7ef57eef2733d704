// Windows back end of spawn mode: PATH lookup, environment block, pipes, CreateProcessW with a
// handle list, reader threads, stdin feeder, exit code.
#include "ctrecord/spawn_windows.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <string_view>
#include <thread>
#include <utility>

#include "ctrecord/win_error.hpp"
#include "ctrecord/win_handle.hpp"
#include "pipe_reader_windows.hpp"

namespace ctrecord {

namespace {

// UTF-8, for error messages.
std::string narrow(const std::wstring& text) {
  if (text.empty()) return {};
  const int size = WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()),
                                       nullptr, 0, nullptr, nullptr);
  std::string out(static_cast<std::size_t>(std::max(size, 0)), '\0');
  WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), out.data(), size,
                      nullptr, nullptr);
  return out;
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
  DWORD flags = EXTENDED_STARTUPINFO_PRESENT;
  if (spec.environment) flags |= CREATE_UNICODE_ENVIRONMENT;
  if (!CreateProcessW(command.path.c_str(), command_line.data(), nullptr, nullptr, TRUE, flags,
                      spec.environment ? environment.data() : nullptr,
                      spec.cwd.empty() ? nullptr : spec.cwd.c_str(), &startup.StartupInfo, &info)) {
    const DWORD error = GetLastError();
    std::string what = "CreateProcessW " + exe;
    if (!spec.cwd.empty()) what += " (cwd " + narrow(spec.cwd) + ")";
    throw WinSpawnError(what + ": " + win_error_text(error), error);
  }
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
