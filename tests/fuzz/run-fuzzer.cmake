# Runs one libFuzzer target briefly and repeatably, for ctest (see tests/fuzz/CMakeLists.txt):
#   cmake -DFUZZER=exe -DWORK=dir -DSEEDS="dir1|dir2" -DRUNS=n [-DDICT=file] -P run-fuzzer.cmake
# The seed directories are only read: libFuzzer writes new inputs to its first corpus directory,
# which is WORK/corpus, emptied first so every run starts from the same state.
foreach(var FUZZER WORK RUNS)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run-fuzzer.cmake: -D${var}= is required")
  endif()
endforeach()
if(NOT EXISTS "${FUZZER}")
  message(FATAL_ERROR "${FUZZER} does not exist: build first (cmake --build)")
endif()

file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/corpus" "${WORK}/artifacts")
string(REPLACE "|" ";" seeds "${SEEDS}")
set(dirs)
foreach(dir IN LISTS seeds)
  if(IS_DIRECTORY "${dir}")
    list(APPEND dirs "${dir}")
  endif()
endforeach()
set(args -runs=${RUNS} -seed=1 -timeout=10 -rss_limit_mb=2048
         -artifact_prefix=${WORK}/artifacts/)
if(DICT)
  list(APPEND args -dict=${DICT})
endif()
execute_process(COMMAND "${FUZZER}" ${args} "${WORK}/corpus" ${dirs} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(GLOB found "${WORK}/artifacts/*")
  message(FATAL_ERROR "${FUZZER} failed (${rc}). Input that failed: ${found}\n"
                      "Reproduce with: ${FUZZER} <that file>")
endif()
