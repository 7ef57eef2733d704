// Where ctest-record --order=exact finds its preload shim, libctrecord_order.so:
// CTEST_RECORD_SHIM when set, else next to the ctest-record executable, in the build tree
// (<build>/harness/ctest-record -> <build>/recorder/libctrecord_order.so) or installed
// (<prefix>/bin/ctest-record -> <prefix>/lib/ctest-record/libctrecord_order.so).
#pragma once

#include <string>
#include <vector>

namespace ctharness {

inline constexpr const char* kOrderShimEnvVar = "CTEST_RECORD_SHIM";
inline constexpr const char* kOrderShimName = "libctrecord_order.so";

// The candidates next to an executable in `executable_dir`, in the order they are tried.
std::vector<std::string> order_shim_candidates(const std::string& executable_dir);

// The shim's absolute path. `env_value` is CTEST_RECORD_SHIM (null or empty: unset; a relative
// path is taken from the current folder). Throws ctrecord::EnvironmentError naming every path
// tried when none is a readable file, or when the path cannot go into LD_PRELOAD (a space or
// a colon).
std::string find_order_shim(const char* env_value, const std::string& executable_dir);

// The folder of /proc/self/exe ("" when it cannot be read).
std::string own_executable_dir();

}  // namespace ctharness
