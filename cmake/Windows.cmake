# The Windows cross build (included by the top-level CMakeLists.txt when WIN32): GoogleTest
# built from Debian's sources (/usr/src/googletest, package `googletest`), the Windows back
# end of the capture engine with the trace writer and reader (recorder/: ctrecord_win) and its
# tests (tests/windows), run by CTest through CMAKE_CROSSCOMPILING_EMULATOR (Wine).
#
# Dependencies, none of which Debian ships for mingw-w64:
#   zstd:   built from Debian's source package by ci/build-zstd-windows.sh (static, into
#           <build>/zstd/prefix) and found through CTR_WIN_ZSTD_ROOT;
#   cereal: header-only; fmt: header-only (FMT_HEADER_ONLY). Their Debian headers are staged
#           in <build>/win-include (symlinks to /usr/include/cereal and /usr/include/fmt), never
#           /usr/include itself, whose glibc headers would break the mingw build.
# Not built for Windows: replay/ and harness/ (RE2, Boost), the POSIX capture (spawn loop,
# session.cpp, pty, exact order, control channel) and the output masker's --redact patterns.
set(CTR_GTEST_SOURCE_DIR /usr/src/googletest CACHE PATH "GoogleTest sources (Debian: googletest)")
if(NOT EXISTS ${CTR_GTEST_SOURCE_DIR}/CMakeLists.txt)
  message(FATAL_ERROR "no GoogleTest sources in ${CTR_GTEST_SOURCE_DIR}: apt-get install googletest")
endif()
set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
set(BUILD_GMOCK OFF CACHE BOOL "" FORCE)
add_subdirectory(${CTR_GTEST_SOURCE_DIR} ${CMAKE_BINARY_DIR}/googletest EXCLUDE_FROM_ALL SYSTEM)

set(CTR_WIN_ZSTD_ROOT "" CACHE PATH
    "zstd for mingw-w64: include/zstd.h and lib/libzstd.a (ci/build-zstd-windows.sh makes it)")
if(NOT EXISTS "${CTR_WIN_ZSTD_ROOT}/lib/libzstd.a" OR NOT EXISTS "${CTR_WIN_ZSTD_ROOT}/include/zstd.h")
  message(FATAL_ERROR "no mingw-w64 zstd in CTR_WIN_ZSTD_ROOT='${CTR_WIN_ZSTD_ROOT}': run "
                      "ci/build-zstd-windows.sh --build-dir <this build dir> and configure with "
                      "-DCTR_WIN_ZSTD_ROOT=<this build dir>/zstd/prefix (ci/test-windows.sh does both)")
endif()
add_library(ctr_win_zstd STATIC IMPORTED)  # imported: its include folder is a SYSTEM one
set_target_properties(ctr_win_zstd PROPERTIES
  IMPORTED_LOCATION "${CTR_WIN_ZSTD_ROOT}/lib/libzstd.a"
  INTERFACE_INCLUDE_DIRECTORIES "${CTR_WIN_ZSTD_ROOT}/include")

set(CTR_WIN_INCLUDE ${CMAKE_BINARY_DIR}/win-include)
file(MAKE_DIRECTORY ${CTR_WIN_INCLUDE})
foreach(library IN ITEMS cereal fmt)
  if(NOT EXISTS /usr/include/${library})
    message(FATAL_ERROR "no /usr/include/${library}: ci/install-deps.sh installs lib${library}-dev")
  endif()
  file(CREATE_LINK /usr/include/${library} ${CTR_WIN_INCLUDE}/${library} SYMBOLIC)
endforeach()
add_library(ctr_win_header_libs INTERFACE)  # cereal and fmt, header-only
target_include_directories(ctr_win_header_libs SYSTEM INTERFACE ${CTR_WIN_INCLUDE})
target_compile_definitions(ctr_win_header_libs INTERFACE FMT_HEADER_ONLY)

enable_testing()
add_subdirectory(recorder)
add_subdirectory(tests/windows)
