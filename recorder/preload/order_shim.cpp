// libctrecord_order.so's constructor: attach to the recorder's shared memory named by
// CTEST_RECORD_SEQUENCER and, when fd 1 / fd 2 are capture pipes, install the shim's
// stdout/stderr. Anything missing or wrong leaves the process untouched. There is no
// destructor on purpose: stdio is flushed at exit after every destructor has run, and those
// flushes must still be sequenced. A forked child inherits all of this; an exec'd one runs
// this constructor again.
#include <errno.h>

#include "real_calls.hpp"
#include "shared_state.hpp"
#include "std_streams.hpp"

namespace {

__attribute__((constructor)) void ctrecord_order_shim_init() {
  const int saved_errno = errno;
  ctrecord::shim::real();
  if (ctrecord::shim::attach_from_environment()) ctrecord::shim::install_std_streams();
  errno = saved_errno;
}

}  // namespace
