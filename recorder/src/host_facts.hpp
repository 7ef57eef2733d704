// Facts about this process and its host for the start event (start_metadata.cpp), one
// implementation per platform: host_facts_posix.cpp, host_facts_windows.cpp. Every string is
// as the system gives it on POSIX (raw bytes) and UTF-8 on Windows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ctrecord::detail {

std::vector<std::string> environment_entries();  // "NAME=value", in the environment's order
std::string current_directory();                 // "" when it cannot be read
std::string host_name();                         // "" when it cannot be read
std::string host_uname();  // "sysname release version machine"; "" when it cannot be read
std::int64_t process_id();

}  // namespace ctrecord::detail
