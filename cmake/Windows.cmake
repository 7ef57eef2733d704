# The Windows cross build (included by the top-level CMakeLists.txt when WIN32): GoogleTest
# built from Debian's sources (/usr/src/googletest, package `googletest`), the Windows back
# end of the capture engine (recorder/: ctrecord_win) and its tests (tests/windows), run by
# CTest through CMAKE_CROSSCOMPILING_EMULATOR (Wine).
#
# Not built for Windows: the trace writer and reader (zstd, cereal), logging (fmt), replay/
# and harness/ (RE2, Boost). Debian ships none of them for mingw-w64; the back end hands
# IoChunks to a callback instead of an IoEventSink until they are.
set(CTR_GTEST_SOURCE_DIR /usr/src/googletest CACHE PATH "GoogleTest sources (Debian: googletest)")
if(NOT EXISTS ${CTR_GTEST_SOURCE_DIR}/CMakeLists.txt)
  message(FATAL_ERROR "no GoogleTest sources in ${CTR_GTEST_SOURCE_DIR}: apt-get install googletest")
endif()
set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
set(BUILD_GMOCK OFF CACHE BOOL "" FORCE)
add_subdirectory(${CTR_GTEST_SOURCE_DIR} ${CMAKE_BINARY_DIR}/googletest EXCLUDE_FROM_ALL SYSTEM)

enable_testing()
add_subdirectory(recorder)
add_subdirectory(tests/windows)
