# `cmake --install <build> --prefix P`: the CLIs, the C API library and header, the Python
# package and the CMake package (find_package(CTestRecord), docs/ci.md). Test fixtures and
# test programs are not installed.
#
#   P/bin/ctest-record, ctest-replay, ctest-trace
#   P/lib/libctrecord_c.so, P/include/ctrecord/c_api.h
#   P/lib/ctest-record/libctrecord_order.so     (the --order=exact preload shim)
#   P/share/ctest-record/python/ctest_record/   (+ libctrecord_c.so -> the library above)
#   P/lib/cmake/CTestRecord/CTestRecordConfig.cmake, ...ConfigVersion.cmake, CTestRecord.cmake
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS ctest-record ctest-replay ctest-trace RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS ctrecord_c LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
# The shim ctest-record --order=exact preloads into its command: found at <its folder>/../lib/
# ctest-record/ (a fixed path, whatever CMAKE_INSTALL_LIBDIR says; CTEST_RECORD_SHIM overrides).
install(TARGETS ctrecord_order LIBRARY DESTINATION lib/ctest-record)
install(FILES ${PROJECT_SOURCE_DIR}/recorder/include/ctrecord/c_api.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ctrecord)

# The Python package, whole (whatever modules it holds), without caches or a library copied
# next to it by hand. ctest-record looks for it at <its folder>/../share/ctest-record/python.
set(CTR_INSTALL_PYTHONDIR ${CMAKE_INSTALL_DATADIR}/ctest-record/python)
if(NOT CMAKE_INSTALL_BINDIR STREQUAL "bin" OR NOT CMAKE_INSTALL_DATADIR STREQUAL "share")
  message(WARNING "CMAKE_INSTALL_BINDIR=${CMAKE_INSTALL_BINDIR} and CMAKE_INSTALL_DATADIR="
    "${CMAKE_INSTALL_DATADIR}: ctest-record looks for its Python package (the pytest plugin) at "
    "<bindir>/../share/ctest-record/python and will not find it; set CTEST_RECORD_PYTHONPATH")
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/harness/python/ctest_record
        DESTINATION ${CTR_INSTALL_PYTHONDIR}
        PATTERN "__pycache__" EXCLUDE
        PATTERN "*.pyc" EXCLUDE
        PATTERN "*.so" EXCLUDE
        PATTERN ".*" EXCLUDE)
# The package loads libctrecord_c.so from its own folder first: a relative symlink to the
# installed library (a copy where the two folders are not both relative to the prefix).
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_DATADIR}")
  install(FILES $<TARGET_FILE:ctrecord_c> DESTINATION ${CTR_INSTALL_PYTHONDIR}/ctest_record)
else()
  file(RELATIVE_PATH CTR_PYTHON_LIB_LINK "/prefix/${CTR_INSTALL_PYTHONDIR}/ctest_record"
       "/prefix/${CMAKE_INSTALL_LIBDIR}/libctrecord_c.so")
  install(CODE "
    set(_ctr_link \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CTR_INSTALL_PYTHONDIR}/ctest_record/libctrecord_c.so\")
    message(STATUS \"Installing: \${_ctr_link} -> ${CTR_PYTHON_LIB_LINK}\")
    file(REMOVE \"\${_ctr_link}\")
    file(CREATE_LINK \"${CTR_PYTHON_LIB_LINK}\" \"\${_ctr_link}\" SYMBOLIC)")
endif()

# CMake package: CTestRecordConfig.cmake finds the executables relative to itself.
set(CTR_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/CTestRecord)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/CTestRecordConfig.cmake.in
  ${PROJECT_BINARY_DIR}/CTestRecordConfig.cmake
  INSTALL_DESTINATION ${CTR_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_BINDIR CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_INCLUDEDIR)
# 0.x: a new minor version may change the functions' arguments.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/CTestRecordConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/CTestRecordConfig.cmake
              ${PROJECT_BINARY_DIR}/CTestRecordConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/CTestRecord.cmake
        DESTINATION ${CTR_INSTALL_CMAKEDIR})
