# Toolchain file for the Windows cross build (issue 10): Debian's mingw-w64 (the -posix
# compilers, which std::thread needs), everything linked statically so the .exe files run
# under Wine without DLLs next to them, and Wine as the emulator CTest runs them with.
#   cmake -S . -B build-windows -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(CTR_MINGW_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${CTR_MINGW_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${CTR_MINGW_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${CTR_MINGW_TRIPLE}-windres)

# Headers and libraries only from the mingw sysroot, never from the Linux /usr.
set(CMAKE_FIND_ROOT_PATH /usr/${CTR_MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# libgcc, libstdc++ and winpthreads inside each .exe.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

# Debian's wine64 package installs the loader here (no /usr/bin/wine without the `wine`
# package, which --no-install-recommends leaves out).
find_program(CTR_WINE64 NAMES wine64 PATHS /usr/lib/wine NO_CMAKE_FIND_ROOT_PATH REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR ${CTR_WINE64})
