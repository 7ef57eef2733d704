// ctest-trace: inspect .ctrace files (info, cat, events); see docs/cli.md.
#include "ctharness/trace_cli.hpp"

int main(int argc, char** argv) {
  return ctharness::trace_cli_main(argc, argv);
}
