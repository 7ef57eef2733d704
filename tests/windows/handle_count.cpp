// Counting this process's handles (see handle_count.hpp), for the leak tests.
#include "handle_count.hpp"

#include <windows.h>
#include <winternl.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace {

// SYSTEM_HANDLE_INFORMATION (class 16), not in mingw's winternl.h.
struct HandleEntry {
  USHORT pid;
  USHORT creator_back_trace_index;
  UCHAR object_type;
  UCHAR flags;
  USHORT handle;
  PVOID object;
  ACCESS_MASK access;
};
struct HandleTable {
  ULONG count;
  HandleEntry entries[1];
};

constexpr auto kSystemHandleInformation = static_cast<SYSTEM_INFORMATION_CLASS>(16);
constexpr NTSTATUS kInfoLengthMismatch = static_cast<NTSTATUS>(0xC0000004L);

}  // namespace

long process_handle_count() {
  DWORD count = 0;
  if (GetProcessHandleCount(GetCurrentProcess(), &count) && count > 0)
    return static_cast<long>(count);
  std::vector<char> buffer(1 << 20);
  for (;;) {
    ULONG needed = 0;
    const NTSTATUS status = NtQuerySystemInformation(kSystemHandleInformation, buffer.data(),
                                                     static_cast<ULONG>(buffer.size()), &needed);
    if (status == kInfoLengthMismatch) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (status != 0)
      throw std::runtime_error("NtQuerySystemInformation: status " + std::to_string(status));
    break;
  }
  const auto* table = reinterpret_cast<const HandleTable*>(buffer.data());
  const auto me = static_cast<USHORT>(GetCurrentProcessId());
  long mine = 0;
  for (ULONG i = 0; i < table->count; ++i)
    if (table->entries[i].pid == me) ++mine;
  return mine;
}
