# ThreadLeak.cmake: run threadleak's checks, through clang-tidy and the
# threadleak plugin, on every C++ source that CMake compiles.
#
#   list(APPEND CMAKE_MODULE_PATH /path/to/threadleak/integrations/cmake)
#   include(ThreadLeak)           # after project(), before the targets
#
# It sets CMAKE_CXX_CLANG_TIDY (replacing any value it had), so every target
# created after the include runs
#
#   clang-tidy-<major> --load=<plugin> --checks=-*,threadleak-*[,<extra>]
#
# next to the compiler. Findings are warnings in the build output; with
# THREADLEAK_WARNINGS_AS_ERRORS=ON they fail the build.
#
# Cache variables (-D on the cmake command line):
#   THREADLEAK_PLUGIN               ThreadLeakPlugin.so (absolute path);
#                                   searched for next to this file's
#                                   threadleak checkout, in build/lib, then
#                                   where the Debian package puts it
#                                   (/usr/lib/threadleak)
#   THREADLEAK_CLANG_MAJOR          the LLVM/Clang major the plugin was
#                                   built against (22; 19 is also supported)
#   THREADLEAK_CLANG_TIDY           the clang-tidy to load it into; must be
#                                   that major's clang-tidy (default:
#                                   clang-tidy-<major>, else
#                                   /usr/lib/llvm-<major>/bin/clang-tidy)
#   THREADLEAK_EXTRA_CHECKS         more checks, e.g. 'bugprone-*,-bugprone-easily-swappable-parameters'
#   THREADLEAK_WARNINGS_AS_ERRORS   fail the build on a threadleak finding (OFF)
#   THREADLEAK_ENABLE               set it to OFF to turn all this off (ON)
#
# Without that clang-tidy or the plugin it warns and leaves the build as it is.

include_guard(GLOBAL)

option(THREADLEAK_ENABLE "Run threadleak's checks through clang-tidy while building" ON)
if(NOT THREADLEAK_ENABLE)
  return()
endif()

set(THREADLEAK_EXTRA_CHECKS "" CACHE STRING
  "Checks to enable besides threadleak-* (a clang-tidy --checks list, e.g. 'bugprone-*')")
option(THREADLEAK_WARNINGS_AS_ERRORS "Fail the build on threadleak findings" OFF)
set(THREADLEAK_CLANG_MAJOR 22 CACHE STRING
  "The LLVM/Clang major the threadleak plugin was built against (its clang-tidy loads it)")
set(_threadleak_major "${THREADLEAK_CLANG_MAJOR}")

# clang-tidy-<major> anywhere first, then that LLVM's own clang-tidy: a plain
# clang-tidy on PATH is often another version.
find_program(THREADLEAK_CLANG_TIDY
  NAMES clang-tidy-${_threadleak_major}
  PATHS /usr/lib/llvm-${_threadleak_major}/bin
  DOC "clang-tidy ${_threadleak_major}, which loads the threadleak plugin")
find_program(THREADLEAK_CLANG_TIDY
  NAMES clang-tidy
  PATHS /usr/lib/llvm-${_threadleak_major}/bin
  NO_DEFAULT_PATH)
if(NOT THREADLEAK_CLANG_TIDY OR NOT EXISTS "${THREADLEAK_CLANG_TIDY}")
  message(WARNING "threadleak: clang-tidy-${_threadleak_major} not found (THREADLEAK_CLANG_TIDY='${THREADLEAK_CLANG_TIDY}'); "
    "the threadleak checks do not run. Install clang-tidy-${_threadleak_major} or pass -DTHREADLEAK_CLANG_TIDY=/path/to/clang-tidy (version ${_threadleak_major}).")
  return()
endif()

execute_process(COMMAND "${THREADLEAK_CLANG_TIDY}" --version
  OUTPUT_VARIABLE _threadleak_tidy_version ERROR_QUIET RESULT_VARIABLE _threadleak_tidy_result)
if(NOT _threadleak_tidy_result EQUAL 0)
  message(WARNING "threadleak: '${THREADLEAK_CLANG_TIDY} --version' failed; the threadleak checks do not run.")
  return()
endif()
if(_threadleak_tidy_version MATCHES "version ([0-9]+)\\." AND NOT CMAKE_MATCH_1 STREQUAL _threadleak_major)
  message(WARNING "threadleak: '${THREADLEAK_CLANG_TIDY}' is clang-tidy ${CMAKE_MATCH_1}; the threadleak plugin "
    "needs clang-tidy ${_threadleak_major} (THREADLEAK_CLANG_MAJOR). The threadleak checks do not run.")
  return()
endif()

get_filename_component(_threadleak_checkout "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)
find_file(THREADLEAK_PLUGIN
  NAMES ThreadLeakPlugin.so
  PATHS "${_threadleak_checkout}/build/lib" /usr/local/lib/threadleak /usr/lib/threadleak
        /usr/local/lib /usr/lib
  NO_DEFAULT_PATH
  DOC "The threadleak clang-tidy plugin, ThreadLeakPlugin.so")
if(NOT THREADLEAK_PLUGIN OR NOT EXISTS "${THREADLEAK_PLUGIN}")
  message(WARNING "threadleak: plugin not found (THREADLEAK_PLUGIN='${THREADLEAK_PLUGIN}'); "
    "the threadleak checks do not run. Build threadleak and pass -DTHREADLEAK_PLUGIN=/path/to/ThreadLeakPlugin.so.")
  return()
endif()
# The compile runs in the build directory: the path must be absolute.
get_filename_component(_threadleak_plugin "${THREADLEAK_PLUGIN}" ABSOLUTE)
# A plugin clang-tidy cannot load is only "-load request ignored" to it, and
# with other checks enabled the build would pass without threadleak's: stop.
execute_process(COMMAND "${THREADLEAK_CLANG_TIDY}" "--load=${_threadleak_plugin}"
    "--checks=-*,threadleak-*" --list-checks
  OUTPUT_VARIABLE _threadleak_listed ERROR_VARIABLE _threadleak_listed
  RESULT_VARIABLE _threadleak_tidy_result)
if(NOT _threadleak_listed MATCHES "threadleak-[a-z]")
  message(FATAL_ERROR "threadleak: '${THREADLEAK_CLANG_TIDY}' does not load the plugin "
    "'${_threadleak_plugin}' (it lists no threadleak check):\n${_threadleak_listed}")
endif()
unset(_threadleak_listed)

set(_threadleak_checks "-*,threadleak-*")
if(NOT THREADLEAK_EXTRA_CHECKS STREQUAL "")
  string(APPEND _threadleak_checks ",${THREADLEAK_EXTRA_CHECKS}")
endif()

set(CMAKE_CXX_CLANG_TIDY
  "${THREADLEAK_CLANG_TIDY}"
  "--load=${_threadleak_plugin}"
  "--checks=${_threadleak_checks}")
if(THREADLEAK_WARNINGS_AS_ERRORS)
  list(APPEND CMAKE_CXX_CLANG_TIDY "--warnings-as-errors=threadleak-*")
endif()
message(STATUS "threadleak: checking C++ sources with ${THREADLEAK_CLANG_TIDY} and ${_threadleak_plugin}")

unset(_threadleak_checkout)
unset(_threadleak_plugin)
unset(_threadleak_checks)
unset(_threadleak_tidy_version)
unset(_threadleak_tidy_result)
unset(_threadleak_major)
