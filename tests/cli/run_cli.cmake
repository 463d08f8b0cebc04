# run_cli.cmake - runs the rmapcheck binary once and checks what it did.
#
#   cmake -DBIN=<rmapcheck> -DARGS="replay|x.trace" -DRC=<exit code>
#         [-DEXPECT_FROM=<trace>]   first stderr line == the trace's "# expect: " line
#         [-DSTDERR_FIRST=<text>]   first stderr line == text
#         [-DOUTPUT_HAS=<text>]     stdout+stderr contain text (a plain string)
#         [-DSTDOUT_LINES=<n>]      stdout has exactly n lines
#         [-DGOLDEN_MAPS=<file>]    stdout lines, cut to "PROC START-END PERMS", == file
#         [-DGOLDEN=<file>]         stdout == file
#         [-DOUTPUT_LACKS=<text>]   stdout+stderr do not contain text
#         [-DINPUT_FILE=<file>]     standard input comes from file
#         [-DEMPTY_LAST_ARG=1]      one more argument, the empty string
#         -P run_cli.cmake
# ARGS separates arguments with '|'.
string(REPLACE "|" ";" arg_list "${ARGS}")
set(input)
if(DEFINED INPUT_FILE)
  set(input INPUT_FILE ${INPUT_FILE})
endif()
if(EMPTY_LAST_ARG)
  execute_process(COMMAND ${BIN} ${arg_list} "" ${input} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  list(APPEND arg_list "''")
else()
  execute_process(COMMAND ${BIN} ${arg_list} ${input} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
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
  if(NOT out STREQUAL want)
    message(FATAL_ERROR "stdout differs from ${GOLDEN}\n--- want:\n${want}\n${shown}")
  endif()
endif()
