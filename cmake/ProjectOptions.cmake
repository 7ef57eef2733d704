# Compiler settings for our own targets only (never third-party code): warnings, -Werror and
# sanitizers as an INTERFACE target that every project target links.
#   ctr_warnings: warnings and -Werror only. For the few targets that must never be
#                 sanitized: the LD_PRELOAD shim (recorder/preload) and the programs the tests
#                 run with it preloaded (fixtures/order_*).
#   ctr_options:  ctr_warnings + the sanitizer flags of CTR_SANITIZE; everything else.
add_library(ctr_warnings INTERFACE)
add_library(ctr_options INTERFACE)
target_link_libraries(ctr_options INTERFACE ctr_warnings)
target_compile_options(ctr_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
  -Wnon-virtual-dtor -Wcast-align -Wunused -Woverloaded-virtual
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
# GCC 12 reports false -Wrestrict positives inside libstdc++'s std::string operator+ at -O2
# (GCC bug 105329); the warning says nothing about our code there.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(ctr_warnings INTERFACE -Wno-restrict)
  # GCC 12 also warns about members left out of C++20 designated initializers even when they
  # have default member initializers (fixed in GCC 13): `Session::start({.trace_path = p})`.
  target_compile_options(ctr_warnings INTERFACE -Wno-missing-field-initializers)
endif()
if(CTR_WERROR)
  target_compile_options(ctr_warnings INTERFACE -Werror)
endif()

if(CTR_SANITIZE STREQUAL "address")
  target_compile_options(ctr_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  target_link_options(ctr_options INTERFACE -fsanitize=address,undefined)
elseif(CTR_SANITIZE STREQUAL "thread")
  target_compile_options(ctr_options INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(ctr_options INTERFACE -fsanitize=thread)
elseif(NOT CTR_SANITIZE STREQUAL "")
  message(FATAL_ERROR "CTR_SANITIZE must be '', 'address' or 'thread', not '${CTR_SANITIZE}'")
endif()
