// Windows back end: EnvironmentError from a failed Win32 call, with the path (or object) and
// the system's message for the error code (FormatMessage), like errors.hpp does for errno.
#pragma once

#include <windows.h>

#include <string>

#include "ctrecord/errors.hpp"

namespace ctrecord {

// "CreatePipe stdout: The handle is invalid. (error 6)"
EnvironmentError win_error(const std::string& call, const std::string& path, DWORD error);
// win_error(call, path, GetLastError()).
EnvironmentError last_win_error(const std::string& call, const std::string& path = {});
// The system's text for a Win32 error code, without the trailing line break.
std::string win_error_text(DWORD error);

}  // namespace ctrecord
