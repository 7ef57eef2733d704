// Host facts, Windows: the environment block (GetEnvironmentStringsW), the current directory,
// the DNS host name and the version from RtlGetVersion (GetVersionEx reports what the
// program's manifest allows, not the system), all as UTF-8.
#include <windows.h>

#include <string>

#include "ctrecord/win_text.hpp"
#include "host_facts.hpp"

namespace ctrecord::detail {

std::vector<std::string> environment_entries() {
  std::vector<std::string> entries;
  wchar_t* block = GetEnvironmentStringsW();
  if (block == nullptr) return entries;
  for (const wchar_t* entry = block; *entry != L'\0';) {
    const std::wstring_view text(entry);
    // Entries for the per-drive current directories ("=C:=C:\\dir") are not variables.
    if (text.front() != L'=') entries.push_back(utf8_from_wide(text));
    entry += text.size() + 1;
  }
  FreeEnvironmentStringsW(block);
  return entries;
}

std::string current_directory() {
  const DWORD size = GetCurrentDirectoryW(0, nullptr);
  if (size == 0) return {};
  std::wstring dir(size, L'\0');
  const DWORD length = GetCurrentDirectoryW(size, dir.data());
  if (length == 0 || length >= size) return {};
  dir.resize(length);
  return utf8_from_wide(dir);
}

std::string host_name() {
  DWORD size = 0;
  GetComputerNameExW(ComputerNameDnsHostname, nullptr, &size);
  if (size == 0) return {};
  std::wstring name(size, L'\0');
  if (!GetComputerNameExW(ComputerNameDnsHostname, name.data(), &size)) return {};
  name.resize(size);
  return utf8_from_wide(name);
}

std::string host_uname() {
  using RtlGetVersionFn = LONG(WINAPI*)(OSVERSIONINFOW*);
  const HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  const auto get_version = reinterpret_cast<RtlGetVersionFn>(
      reinterpret_cast<void*>(GetProcAddress(ntdll, "RtlGetVersion")));
  OSVERSIONINFOW info{};
  info.dwOSVersionInfoSize = sizeof info;
  if (get_version == nullptr || get_version(&info) != 0) return {};
  SYSTEM_INFO system{};
  GetNativeSystemInfo(&system);
  const char* machine = system.wProcessorArchitecture == PROCESSOR_ARCHITECTURE_AMD64   ? "x86_64"
                        : system.wProcessorArchitecture == PROCESSOR_ARCHITECTURE_ARM64 ? "arm64"
                                                                                        : "other";
  return "Windows " + std::to_string(info.dwMajorVersion) + "." +
         std::to_string(info.dwMinorVersion) + " build " + std::to_string(info.dwBuildNumber) +
         " " + machine;
}

std::int64_t process_id() {
  return static_cast<std::int64_t>(GetCurrentProcessId());
}

}  // namespace ctrecord::detail
