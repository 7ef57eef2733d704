// flush_std_streams(): C stdio and the narrow C++ standard streams (flush_std_streams.hpp).
#include "flush_std_streams.hpp"

#include <cstdio>
#include <iostream>

namespace ctrecord {

void flush_std_streams() {
  std::fflush(nullptr);
  std::cout.flush();
  std::cerr.flush();
  std::clog.flush();
}

}  // namespace ctrecord
