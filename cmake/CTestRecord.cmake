# CTestRecord: CTest tests that replay ctest-record traces (golden recordings) with ctest-replay.
#
#   find_package(CTestRecord REQUIRED)        # installed: <prefix>/lib/cmake/CTestRecord
#   # or: list(APPEND CMAKE_MODULE_PATH <prefix>/lib/cmake/CTestRecord) + include(CTestRecord)
#   enable_testing()
#
#   # One test per *.ctrace in a folder (traces recorded by hand or in CI):
#   ctest_record_add_replay_tests(DIRECTORY traces
#                                 [PREFIX name] [LABELS l...] [REPLAY_ARGS a...]
#                                 [WORKING_DIRECTORY dir] [ARTIFACT_DIR dir | NO_ARTIFACTS])
#
#   # One test for one command, compared with its golden trace (default traces/<NAME>.ctrace):
#   ctest_record_add_test(NAME name COMMAND cmd args...
#                         [TRACE path] [INPUT file] [WORKING_DIRECTORY dir]
#                         [LABELS l...] [REPLAY_ARGS a...] [ARTIFACT_DIR dir | NO_ARTIFACTS])
#
# ctest_record_add_replay_tests: the folder is globbed (recursively, like `ctest-replay DIR`) at
# configure time (CONFIGURE_DEPENDS, so a build re-runs CMake when traces are added or
# removed); each trace becomes the test <PREFIX>/<path below DIRECTORY without .ctrace>
# (PREFIX defaults to the folder's name) running
#   ctest-replay [REPLAY_ARGS] --artifact-dir A/<test name> TRACE
# in WORKING_DIRECTORY (default: CMAKE_CURRENT_SOURCE_DIR, where relative paths in the
# recorded commands usually point), with A = ARTIFACT_DIR (default
# ${CMAKE_CURRENT_BINARY_DIR}/ctest-replay-artifacts): summary.json, junit.xml and, after a
# regression, the replay's own trace. A trace replays the command it recorded.
#
# ctest_record_add_test: the test replays TRACE against COMMAND as written here
# (`ctest-replay TRACE -- COMMAND...`, so the argv stored in the trace does not matter and
# the trace stays valid on other machines and build folders). An executable target name as
# the first word of COMMAND becomes $<TARGET_FILE:...>. The test runs in WORKING_DIRECTORY
# (default: CMAKE_CURRENT_BINARY_DIR, as for add_test). A missing TRACE makes the test FAIL
# with the commands that record it; nothing is ever recorded by a test. Recording is
# explicit: the target record-<NAME> (cmake --build <build> --target record-<NAME>) runs
#   ctest-record -o TRACE -n -- COMMAND...          (or `< INPUT` instead of -n)
# in WORKING_DIRECTORY and writes (or overwrites) the golden trace in the source tree. The
# replay's artifacts go to <ARTIFACT_DIR>/<NAME> as above.
#
# Both functions add the label `ctest-record` to the tests besides LABELS. The executables are
# CTEST_RECORD_EXECUTABLE and CTEST_REPLAY_EXECUTABLE (cache variables; set them to choose).
# When unset, this project's own targets ctest-record/ctest-replay are used if they exist,
# else find_program() looks next to an installed copy of this file and on PATH.
#
# Limits: arguments are passed as CMake lists, so an argument containing ';' or an empty
# argument cannot be part of COMMAND. Docs: docs/ci.md.

# ----------------------------------------------------------------------------- script mode
# The tests and record targets run this file with `cmake -D... -P CTestRecord.cmake -- ARGV`.
if(CMAKE_SCRIPT_MODE_FILE AND DEFINED CTEST_RECORD_SCRIPT_MODE)
  cmake_policy(VERSION 3.21)
  # Arguments after `--`, each one as given (CMAKE_ARGV<n>).
  set(_ctr_argv "")
  set(_ctr_after FALSE)
  math(EXPR _ctr_last "${CMAKE_ARGC} - 1")
  foreach(_ctr_i RANGE 0 ${_ctr_last})
    if(_ctr_after)
      list(APPEND _ctr_argv "${CMAKE_ARGV${_ctr_i}}")
    elseif(CMAKE_ARGV${_ctr_i} STREQUAL "--")
      set(_ctr_after TRUE)
    endif()
  endforeach()

  function(_ctr_quote out)
    set(words "")
    foreach(arg IN LISTS ARGN)
      if(arg MATCHES "^[A-Za-z0-9_./=:+,@%-]+$")
        list(APPEND words "${arg}")
      else()
        string(REPLACE "'" "'\\''" arg "${arg}")
        list(APPEND words "'${arg}'")
      endif()
    endforeach()
    list(JOIN words " " line)
    set(${out} "${line}" PARENT_SCOPE)
  endfunction()

  # Ends the script with `code` (CMake < 3.29 can only end a script with status 1).
  function(_ctr_exit code why)
    if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.29)
      cmake_language(EXIT ${code})
    endif()
    message(FATAL_ERROR "ctest_record: test ${CTEST_RECORD_NAME} failed: ${why}")
  endfunction()

  # The ctest-record command line that (re)records the golden trace, and the other ways to.
  function(_ctr_how_to_record out command)
    if(CTEST_RECORD_INPUT)
      _ctr_quote(input "${CTEST_RECORD_INPUT}")
      set(stdin_part "")
      set(stdin_redirect " < ${input}")
    else()
      set(stdin_part " -n")
      set(stdin_redirect "")
    endif()
    _ctr_quote(tool "${CTEST_RECORD_RECORDER}")
    _ctr_quote(trace "${CTEST_RECORD_TRACE}")
    _ctr_quote(dir "${CTEST_RECORD_WORKDIR}")
    _ctr_quote(cmd ${command})
    get_filename_component(trace_dir "${CTEST_RECORD_TRACE}" DIRECTORY)
    _ctr_quote(trace_dir "${trace_dir}")
    _ctr_quote(build "${CTEST_RECORD_BUILD_DIR}")
    set(${out}
      "  cmake --build ${build} --target ${CTEST_RECORD_TARGET}\n"
      "or, by hand:\n"
      "  mkdir -p ${trace_dir} && cd ${dir} && ${tool} -o ${trace}${stdin_part} -- ${cmd}${stdin_redirect}\n"
      PARENT_SCOPE)
  endfunction()

  if(CTEST_RECORD_SCRIPT_MODE STREQUAL "replay")
    # _ctr_argv: ctest-replay ARGS... TRACE -- COMMAND...
    list(FIND _ctr_argv "--" _ctr_sep)
    set(_ctr_command "")
    if(_ctr_sep GREATER_EQUAL 0)
      math(EXPR _ctr_first "${_ctr_sep} + 1")
      list(SUBLIST _ctr_argv ${_ctr_first} -1 _ctr_command)
    endif()
    if(NOT EXISTS "${CTEST_RECORD_TRACE}")
      _ctr_how_to_record(_ctr_how "${_ctr_command}")
      message("ctest_record: test ${CTEST_RECORD_NAME}: the golden trace ${CTEST_RECORD_TRACE} "
        "does not exist, so there is nothing to compare with. Tests never record on their "
        "own; record it once (check the command's output), then commit the trace:\n"
        ${_ctr_how})
      _ctr_exit(1 "no golden trace")
    endif()
    execute_process(COMMAND ${_ctr_argv} RESULT_VARIABLE _ctr_rc)
    if(_ctr_rc STREQUAL "1")
      # The same replay with --update instead of the artifact folder.
      list(SUBLIST _ctr_argv 0 ${_ctr_sep} _ctr_replay_part)
      set(_ctr_update "")
      set(_ctr_skip FALSE)
      foreach(_ctr_word IN LISTS _ctr_replay_part)
        if(_ctr_skip)
          set(_ctr_skip FALSE)
        elseif(_ctr_word STREQUAL "--artifact-dir")
          set(_ctr_skip TRUE)
        else()
          list(APPEND _ctr_update "${_ctr_word}")
          list(LENGTH _ctr_update _ctr_n)
          if(_ctr_n EQUAL 1)  # right after the executable
            list(APPEND _ctr_update --update)
          endif()
        endif()
      endforeach()
      _ctr_quote(_ctr_update ${_ctr_update} -- ${_ctr_command})
      _ctr_quote(_ctr_dir "${CTEST_RECORD_WORKDIR}")
      _ctr_quote(_ctr_build "${CTEST_RECORD_BUILD_DIR}")
      message("ctest_record: test ${CTEST_RECORD_NAME} behaves differently from its golden "
        "trace ${CTEST_RECORD_TRACE}. If the new behaviour is right, accept it with\n"
        "  cmake --build ${_ctr_build} --target ${CTEST_RECORD_TARGET}\n"
        "or\n"
        "  cd ${_ctr_dir} && ${_ctr_update}\n"
        "and commit the trace.")
      _ctr_exit(1 "regression (ctest-replay exit status 1)")
    elseif(NOT _ctr_rc STREQUAL "0")
      message("ctest_record: test ${CTEST_RECORD_NAME}: ctest-replay could not replay "
        "${CTEST_RECORD_TRACE}: ${_ctr_rc}")
      if(NOT _ctr_rc MATCHES "^[0-9]+$")
        set(_ctr_rc 3)
      endif()
      _ctr_exit(${_ctr_rc} "the trace could not be replayed (exit status ${_ctr_rc})")
    endif()
  elseif(CTEST_RECORD_SCRIPT_MODE STREQUAL "record")
    # _ctr_argv: ctest-record -o TRACE [-n] -- COMMAND...; stdin from CTEST_RECORD_INPUT if set.
    get_filename_component(_ctr_trace_dir "${CTEST_RECORD_TRACE}" DIRECTORY)
    file(MAKE_DIRECTORY "${_ctr_trace_dir}")
    if(CTEST_RECORD_INPUT)
      if(NOT EXISTS "${CTEST_RECORD_INPUT}")
        message(FATAL_ERROR "ctest_record: INPUT file ${CTEST_RECORD_INPUT} does not exist")
      endif()
      execute_process(COMMAND ${_ctr_argv} INPUT_FILE "${CTEST_RECORD_INPUT}"
                      RESULT_VARIABLE _ctr_rc)
    else()
      execute_process(COMMAND ${_ctr_argv} RESULT_VARIABLE _ctr_rc)
    endif()
    # The command's own exit status is part of the recording (a test of an error case exits
    # non-zero); only the recorder's failures (125) and a command that never ran (126, 127)
    # mean there is no usable trace.
    if(NOT _ctr_rc MATCHES "^[0-9]+$" OR _ctr_rc EQUAL 125 OR _ctr_rc EQUAL 126
       OR _ctr_rc EQUAL 127)
      message(FATAL_ERROR "ctest_record: recording ${CTEST_RECORD_TRACE} failed (${_ctr_rc})")
    endif()
    message("ctest_record: recorded ${CTEST_RECORD_TRACE} (the command exited ${_ctr_rc}); "
      "check it with `ctest-trace cat` and commit it")
  else()
    message(FATAL_ERROR "ctest_record: unknown CTEST_RECORD_SCRIPT_MODE '${CTEST_RECORD_SCRIPT_MODE}'")
  endif()
  return()
endif()

# --------------------------------------------------------------------------------- module
include_guard(GLOBAL)
if(CMAKE_VERSION VERSION_LESS 3.21)  # `cmake -P FILE -- ARGS`, ctest --output-junit
  message(FATAL_ERROR "CTestRecord needs CMake 3.21 or newer (this is ${CMAKE_VERSION})")
endif()

# Functions run in their caller's scope: keep where this file is in a global property.
set_property(GLOBAL PROPERTY _CTEST_RECORD_MODULE_FILE "${CMAKE_CURRENT_LIST_FILE}")

# Installed as <prefix>/<libdir>/cmake/CTestRecord/CTestRecord.cmake: look in <prefix>/bin
# first (CTestRecordConfig.cmake has already set the exact paths when found that way).
set(_ctest_record_hints "")
if(CMAKE_CURRENT_LIST_DIR MATCHES "/cmake/CTestRecord$")
  get_filename_component(_ctest_record_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
  list(APPEND _ctest_record_hints "${_ctest_record_prefix}/bin")
  get_filename_component(_ctest_record_prefix "${CMAKE_CURRENT_LIST_DIR}/../../../.." ABSOLUTE)
  list(APPEND _ctest_record_hints "${_ctest_record_prefix}/bin")  # lib/<multiarch>/cmake
endif()
set_property(GLOBAL PROPERTY _CTEST_RECORD_HINTS "${_ctest_record_hints}")
unset(_ctest_record_hints)
unset(_ctest_record_prefix)

# out = the path (or $<TARGET_FILE:...>) of ctest-record / ctest-replay.
function(_ctest_record_tool out name var)
  if(${var})
    set(${out} "${${var}}" PARENT_SCOPE)
    return()
  endif()
  if(TARGET ${name})
    set(${out} "$<TARGET_FILE:${name}>" PARENT_SCOPE)
    return()
  endif()
  get_property(hints GLOBAL PROPERTY _CTEST_RECORD_HINTS)
  find_program(${var} NAMES ${name} HINTS ${hints} DOC "The ${name} executable (CTestRecord)")
  if(NOT ${var})
    message(FATAL_ERROR "CTestRecord: ${name} not found. Install ctest-record (cmake --install), "
      "put it on PATH, or set ${var} to the executable's path (-D${var}=/path/to/${name}).")
  endif()
  set(${out} "${${var}}" PARENT_SCOPE)
endfunction()

function(_ctest_record_check_unparsed fn)
  if(ARGN)
    message(FATAL_ERROR "${fn}: unknown arguments: ${ARGN}")
  endif()
endfunction()

# ---------------------------------------------------------------- ctest_record_add_replay_tests
function(ctest_record_add_replay_tests)
  cmake_parse_arguments(PARSE_ARGV 0 arg "NO_ARTIFACTS"
    "DIRECTORY;PREFIX;WORKING_DIRECTORY;ARTIFACT_DIR" "LABELS;REPLAY_ARGS")
  set(fn ctest_record_add_replay_tests)
  _ctest_record_check_unparsed(${fn} ${arg_UNPARSED_ARGUMENTS})
  foreach(kw IN LISTS arg_KEYWORDS_MISSING_VALUES)
    message(FATAL_ERROR "${fn}: ${kw} needs a value")
  endforeach()
  if(NOT DEFINED arg_DIRECTORY)
    message(FATAL_ERROR "${fn}: DIRECTORY is required (the folder holding the .ctrace files)")
  endif()
  get_filename_component(dir "${arg_DIRECTORY}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT IS_DIRECTORY "${dir}")
    message(FATAL_ERROR "${fn}: DIRECTORY ${dir} is not a folder")
  endif()
  if(arg_NO_ARTIFACTS AND DEFINED arg_ARTIFACT_DIR)
    message(FATAL_ERROR "${fn}: NO_ARTIFACTS and ARTIFACT_DIR exclude each other")
  endif()
  if(DEFINED arg_PREFIX)
    set(prefix "${arg_PREFIX}")
  else()
    get_filename_component(prefix "${dir}" NAME)
  endif()
  if(DEFINED arg_WORKING_DIRECTORY)
    get_filename_component(workdir "${arg_WORKING_DIRECTORY}" ABSOLUTE
                           BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  else()
    set(workdir "${CMAKE_CURRENT_SOURCE_DIR}")
  endif()
  if(DEFINED arg_ARTIFACT_DIR)
    get_filename_component(artifacts "${arg_ARTIFACT_DIR}" ABSOLUTE
                           BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  else()
    set(artifacts "${CMAKE_CURRENT_BINARY_DIR}/ctest-replay-artifacts")
  endif()
  foreach(word IN LISTS arg_REPLAY_ARGS)
    if(word STREQUAL "--")
      message(FATAL_ERROR "${fn}: REPLAY_ARGS cannot contain '--' (each test replays the "
        "command its trace recorded; use ctest_record_add_test to replay against a command)")
    endif()
  endforeach()
  _ctest_record_tool(replay ctest-replay CTEST_REPLAY_EXECUTABLE)

  # Like `ctest-replay DIR`: every *.ctrace below the folder, in sorted order (so the test
  # numbers, which `ctest -I` shards by, are the same on every machine).
  file(GLOB_RECURSE traces CONFIGURE_DEPENDS "${dir}/*.ctrace")
  list(SORT traces)
  if(NOT traces)
    message(WARNING "${fn}: no *.ctrace files in ${dir}: no replay tests added")
    return()
  endif()
  foreach(trace IN LISTS traces)
    file(RELATIVE_PATH stem "${dir}" "${trace}")
    string(REGEX REPLACE "\\.ctrace$" "" stem "${stem}")
    if(prefix)
      set(name "${prefix}/${stem}")
    else()
      set(name "${stem}")
    endif()
    if(TEST "${name}")
      message(FATAL_ERROR "${fn}: a test named '${name}' exists already (for ${trace}); "
        "give this folder another PREFIX")
    endif()
    set(artifact_args "")
    if(NOT arg_NO_ARTIFACTS)
      set(artifact_args --artifact-dir "${artifacts}/${name}")
    endif()
    add_test(NAME "${name}"
      COMMAND "${replay}" ${arg_REPLAY_ARGS} ${artifact_args} "${trace}"
      WORKING_DIRECTORY "${workdir}")
    set_tests_properties("${name}" PROPERTIES LABELS "ctest-record;${arg_LABELS}")
  endforeach()
endfunction()

# ------------------------------------------------------------------------ ctest_record_add_test
function(ctest_record_add_test)
  cmake_parse_arguments(PARSE_ARGV 0 arg "NO_ARTIFACTS"
    "NAME;TRACE;INPUT;WORKING_DIRECTORY;ARTIFACT_DIR" "COMMAND;LABELS;REPLAY_ARGS")
  set(fn ctest_record_add_test)
  _ctest_record_check_unparsed(${fn} ${arg_UNPARSED_ARGUMENTS})
  foreach(kw IN LISTS arg_KEYWORDS_MISSING_VALUES)
    message(FATAL_ERROR "${fn}: ${kw} needs a value")
  endforeach()
  if(NOT DEFINED arg_NAME)
    message(FATAL_ERROR "${fn}: NAME is required")
  endif()
  set(name "${arg_NAME}")
  if(NOT arg_COMMAND)
    message(FATAL_ERROR "${fn}(NAME ${name}): COMMAND is required (the program and its arguments)")
  endif()
  if(TEST "${name}")
    message(FATAL_ERROR "${fn}: a test named '${name}' exists already")
  endif()
  if(arg_NO_ARTIFACTS AND DEFINED arg_ARTIFACT_DIR)
    message(FATAL_ERROR "${fn}(NAME ${name}): NO_ARTIFACTS and ARTIFACT_DIR exclude each other")
  endif()
  if(DEFINED arg_TRACE)
    get_filename_component(trace "${arg_TRACE}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  else()
    set(trace "${CMAKE_CURRENT_SOURCE_DIR}/traces/${name}.ctrace")
  endif()
  if(NOT trace MATCHES "\\.ctrace$")
    message(FATAL_ERROR "${fn}(NAME ${name}): TRACE ${trace} must end in .ctrace")
  endif()
  if(IS_DIRECTORY "${trace}")
    message(FATAL_ERROR "${fn}(NAME ${name}): TRACE ${trace} is a folder, not a trace file")
  endif()
  set(input "")
  if(DEFINED arg_INPUT)
    get_filename_component(input "${arg_INPUT}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    if(NOT EXISTS "${input}" OR IS_DIRECTORY "${input}")
      message(FATAL_ERROR "${fn}(NAME ${name}): INPUT ${input} is not a file")
    endif()
  endif()
  if(DEFINED arg_WORKING_DIRECTORY)
    get_filename_component(workdir "${arg_WORKING_DIRECTORY}" ABSOLUTE
                           BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  else()
    set(workdir "${CMAKE_CURRENT_BINARY_DIR}")
  endif()
  if(DEFINED arg_ARTIFACT_DIR)
    get_filename_component(artifacts "${arg_ARTIFACT_DIR}" ABSOLUTE
                           BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  else()
    set(artifacts "${CMAKE_CURRENT_BINARY_DIR}/ctest-replay-artifacts")
  endif()
  foreach(word IN LISTS arg_REPLAY_ARGS)
    if(word STREQUAL "--")
      message(FATAL_ERROR "${fn}(NAME ${name}): REPLAY_ARGS cannot contain '--': the test "
        "already replays the trace against COMMAND (ctest-replay TRACE -- COMMAND...)")
    endif()
  endforeach()

  # An executable target as the program: its file, and the record target depends on it.
  set(command ${arg_COMMAND})
  list(GET command 0 program)
  set(program_target "")
  if(TARGET "${program}")
    get_target_property(type "${program}" TYPE)
    if(NOT type STREQUAL "EXECUTABLE")
      message(FATAL_ERROR "${fn}(NAME ${name}): COMMAND starts with the target '${program}', "
        "which is a ${type}, not an executable")
    endif()
    set(program_target "${program}")
    list(REMOVE_AT command 0)
    list(PREPEND command "$<TARGET_FILE:${program}>")
  endif()

  _ctest_record_tool(replay ctest-replay CTEST_REPLAY_EXECUTABLE)
  _ctest_record_tool(recorder ctest-record CTEST_RECORD_EXECUTABLE)
  get_property(module GLOBAL PROPERTY _CTEST_RECORD_MODULE_FILE)

  # record-<NAME>, with what a target name may not hold replaced by '_'.
  string(REGEX REPLACE "[^A-Za-z0-9_.+-]" "_" record_target "record-${name}")
  if(TARGET "${record_target}")
    message(FATAL_ERROR "${fn}(NAME ${name}): the target ${record_target} exists already")
  endif()

  set(script_defs
    "-DCTEST_RECORD_NAME=${name}"
    "-DCTEST_RECORD_TRACE=${trace}"
    "-DCTEST_RECORD_INPUT=${input}"
    "-DCTEST_RECORD_WORKDIR=${workdir}"
    "-DCTEST_RECORD_RECORDER=${recorder}"
    "-DCTEST_RECORD_BUILD_DIR=${CMAKE_BINARY_DIR}"
    "-DCTEST_RECORD_TARGET=${record_target}")
  set(artifact_args "")
  if(NOT arg_NO_ARTIFACTS)
    set(artifact_args --artifact-dir "${artifacts}/${name}")
  endif()

  add_test(NAME "${name}"
    COMMAND "${CMAKE_COMMAND}" -DCTEST_RECORD_SCRIPT_MODE=replay ${script_defs}
            -P "${module}" --
            "${replay}" ${arg_REPLAY_ARGS} ${artifact_args} "${trace}" -- ${command}
    WORKING_DIRECTORY "${workdir}")
  set_tests_properties("${name}" PROPERTIES LABELS "ctest-record;${arg_LABELS}")

  if(input)
    set(stdin_args "")
  else()
    set(stdin_args -n)
  endif()
  add_custom_target("${record_target}"
    COMMAND "${CMAKE_COMMAND}" -DCTEST_RECORD_SCRIPT_MODE=record ${script_defs}
            -P "${module}" --
            "${recorder}" -o "${trace}" ${stdin_args} -- ${command}
    WORKING_DIRECTORY "${workdir}"
    COMMENT "Recording the golden trace of ${name} into ${trace}"
    USES_TERMINAL VERBATIM)
  if(program_target)
    add_dependencies("${record_target}" "${program_target}")
  endif()
endfunction()
