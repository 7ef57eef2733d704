# The libFuzzer build (-DCTR_FUZZ=ON, clang only; `make fuzz`, docs/reliability.md#fuzzing):
# recorder/ and replay/ compiled with coverage instrumentation for libFuzzer plus ASan+UBSan
# (-fsanitize=fuzzer-no-link,address,undefined), and the fuzz targets in tests/fuzz linked
# with -fsanitize=fuzzer (libFuzzer's main). Nothing else of the project is built here: the
# CLIs, the C API, the unit tests and the install rules belong to the ordinary builds.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "CTR_FUZZ=ON needs clang (libFuzzer), e.g. "
                      "-DCMAKE_CXX_COMPILER=clang++-14; this is ${CMAKE_CXX_COMPILER_ID}")
endif()
if(NOT CTR_SANITIZE STREQUAL "")
  message(FATAL_ERROR "CTR_FUZZ=ON brings its own sanitizers (ASan+UBSan); leave CTR_SANITIZE empty")
endif()

# Every UBSan finding aborts (a finding for libFuzzer), as in the ASan build.
target_compile_options(ctr_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined
  -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
target_link_options(ctr_options INTERFACE -fsanitize=address,undefined)

add_subdirectory(recorder)
add_subdirectory(replay)
# recorder/ also defines the C API's shared library; the fuzzers do not need it.
set_target_properties(ctrecord_c ctrecord_order PROPERTIES EXCLUDE_FROM_ALL ON)
add_subdirectory(tests/fuzz)
