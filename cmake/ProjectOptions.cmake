# Compiler settings for our own targets only (never third-party code): warnings, -Werror and
# sanitizers as an INTERFACE target that every project target links.
add_library(ctr_options INTERFACE)
target_compile_options(ctr_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow
  -Wnon-virtual-dtor -Wcast-align -Wunused -Woverloaded-virtual
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
# GCC 12 reports false -Wrestrict positives inside libstdc++'s std::string operator+ at -O2
# (GCC bug 105329); the warning says nothing about our code there.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(ctr_options INTERFACE -Wno-restrict)
  # GCC 12 also warns about members left out of C++20 designated initializers even when they
  # have default member initializers (fixed in GCC 13): `Session::start({.trace_path = p})`.
  target_compile_options(ctr_options INTERFACE -Wno-missing-field-initializers)
endif()
if(CTR_WERROR)
  target_compile_options(ctr_options INTERFACE -Werror)
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
