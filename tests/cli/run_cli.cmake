# run_cli.cmake - runs the rmapcheck binary once and checks what it did: the
# one runner of every tests/cli and tests/draw test (cli_test() in
# tests/cli/CMakeLists.txt).
#
#   cmake -DBIN=<rmapcheck> -DARGS="replay|x.trace" -DRC=<exit code>
#         [-DEXPECT_FROM=<trace>]   first stderr line == the trace's "# expect: " line
#         [-DSTDERR_FIRST=<text>]   first stderr line == text
#         [-DSTDERR_HAS=<text>]     stderr contains text
#         [-DOUTPUT_HAS=<text>]     stdout+stderr contain text (a plain string)
#         [-DSTDOUT_LINES=<n>]      stdout has exactly n lines
#         [-DGOLDEN_MAPS=<file>]    stdout lines, cut to "PROC START-END PERMS", == file
#         [-DGOLDEN=<file>]         stdout == file, byte for byte
#         [-DGOLDEN_SUB=<a|b>]      ... after replacing a with b in the golden
#         [-DOUTPUT_LACKS=<text>]   stdout+stderr do not contain text
#         [-DINPUT_FILE=<file>]     standard input comes from file
#         [-DEMPTY_LAST_ARG=1]      one more argument, the empty string
#         [-DPATH_ENV=<dirs>]       run with PATH set to this (e.g. a PATH without dot)
#         [-DFILE=<path>]           a file the command writes: removed before the run; with
#         [-DFILE_GOLDEN=<file>]      its content == file
#         [-DFILE_SVG=1]              it is an SVG document (<?xml ... <svg ... </svg>)
#         [-DFILE_ABSENT=1]           it was not written
#         -P run_cli.cmake
# ARGS separates arguments with '|'; in the other values {semicolon} stands for ';'.
string(REPLACE "|" ";" arg_list "${ARGS}")
foreach(k STDERR_FIRST STDERR_HAS OUTPUT_HAS OUTPUT_LACKS GOLDEN_SUB)
  if(DEFINED ${k})
    string(REPLACE "{semicolon}" ";" ${k} "${${k}}")
  endif()
endforeach()
if(DEFINED FILE)
  file(REMOVE ${FILE})
endif()
set(input)
if(DEFINED INPUT_FILE)
  set(input INPUT_FILE ${INPUT_FILE})
endif()
set(cmd ${BIN})
if(DEFINED PATH_ENV)
  set(cmd ${CMAKE_COMMAND} -E env PATH=${PATH_ENV} ${BIN})
endif()
if(EMPTY_LAST_ARG)
  execute_process(COMMAND ${cmd} ${arg_list} "" ${input} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  list(APPEND arg_list "''")
else()
  execute_process(COMMAND ${cmd} ${arg_list} ${input} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
endif()
set(shown "rmapcheck ${arg_list}\n--- exit ${rc}\n--- stdout:\n${out}--- stderr:\n${err}")

if(NOT rc EQUAL RC)
  message(FATAL_ERROR "expected exit code ${RC}\n${shown}")
endif()

string(FIND "${err}" "\n" nl)
string(SUBSTRING "${err}" 0 ${nl} first_err)
if(DEFINED EXPECT_FROM)
  file(STRINGS ${EXPECT_FROM} lines LIMIT_COUNT 1)
  list(GET lines 0 head)
  string(REPLACE "# expect: " "" STDERR_FIRST "${head}")
endif()
if(DEFINED STDERR_FIRST AND NOT first_err STREQUAL STDERR_FIRST)
  message(FATAL_ERROR "expected first stderr line\n  ${STDERR_FIRST}\ngot\n  ${first_err}\n${shown}")
endif()

if(DEFINED STDERR_HAS)
  string(FIND "${err}" "${STDERR_HAS}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "expected stderr to contain\n  ${STDERR_HAS}\n${shown}")
  endif()
endif()

if(DEFINED OUTPUT_HAS)
  string(FIND "${out}${err}" "${OUTPUT_HAS}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "expected the output to contain\n  ${OUTPUT_HAS}\n${shown}")
  endif()
endif()

if(DEFINED OUTPUT_LACKS)
  string(FIND "${out}${err}" "${OUTPUT_LACKS}" at)
  if(NOT at EQUAL -1)
    message(FATAL_ERROR "expected the output NOT to contain\n  ${OUTPUT_LACKS}\n${shown}")
  endif()
endif()

if(DEFINED STDOUT_LINES)
  string(REGEX MATCHALL "\n" nls "${out}")
  list(LENGTH nls n)
  if(NOT n EQUAL STDOUT_LINES)
    message(FATAL_ERROR "expected ${STDOUT_LINES} stdout lines, got ${n}\n${shown}")
  endif()
endif()

if(DEFINED GOLDEN_MAPS)
  # format_maps lines begin "PROC START-END PERMS"; later fields may grow.
  string(REGEX REPLACE "([^ \n]+ [^ \n]+ [^ \n]+)[^\n]*" "\\1" cut "${out}")
  file(READ ${GOLDEN_MAPS} want)
  if(NOT cut STREQUAL want)
    message(FATAL_ERROR "maps differ from ${GOLDEN_MAPS}\n--- want:\n${want}--- got:\n${cut}\n${shown}")
  endif()
endif()

if(DEFINED GOLDEN)
  file(READ ${GOLDEN} want)
  if(DEFINED GOLDEN_SUB)
    string(REPLACE "|" ";" sub "${GOLDEN_SUB}")
    list(GET sub 0 from)
    list(GET sub 1 to)
    string(REPLACE "${from}" "${to}" want "${want}")
  endif()
  if(NOT out STREQUAL want)
    message(FATAL_ERROR "stdout differs from ${GOLDEN} (if the change is meant, "
                        "tests/draw/update-goldens.sh rewrites the draw goldens; review their diff)"
                        "\n--- want:\n${want}\n${shown}")
  endif()
endif()

if(DEFINED FILE_ABSENT AND EXISTS ${FILE})
  message(FATAL_ERROR "${FILE} was written\n${shown}")
endif()
if(DEFINED FILE_GOLDEN OR DEFINED FILE_SVG)
  if(NOT EXISTS ${FILE})
    message(FATAL_ERROR "${FILE} was not written\n${shown}")
  endif()
  file(READ ${FILE} got)
endif()
if(DEFINED FILE_GOLDEN)
  file(READ ${FILE_GOLDEN} want)
  if(NOT got STREQUAL want)
    message(FATAL_ERROR "${FILE} differs from ${FILE_GOLDEN}\n${shown}")
  endif()
endif()
if(DEFINED FILE_SVG)
  string(FIND "${got}" "<?xml" xml)
  string(FIND "${got}" "<svg" svg)
  string(FIND "${got}" "</svg>" end)
  if(NOT xml EQUAL 0 OR svg EQUAL -1 OR end EQUAL -1)
    string(SUBSTRING "${got}" 0 200 start)
    message(FATAL_ERROR "${FILE} is not an SVG document; it begins\n${start}\n${shown}")
  endif()
endif()
