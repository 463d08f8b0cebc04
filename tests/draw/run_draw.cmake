# run_draw.cmake - runs `rmapcheck draw` once and checks what it did.
#
#   cmake -DBIN=<rmapcheck> -DARGS="draw|x.trace" -DRC=<exit code>
#         [-DPATH_ENV=<dirs>]       run with PATH set to this (e.g. a PATH without dot)
#         [-DEXPECT_FROM=<trace>]   first stderr line == the trace's "# expect: " line
#         [-DSTDERR_FIRST=<text>]   first stderr line == text
#         [-DOUTPUT_HAS=<text>]     stdout+stderr contain text (a plain string)
#         [-DGOLDEN=<file>]         stdout == file, byte for byte
#         [-DGOLDEN_SUB=<a|b>]      ... after replacing a with b in the golden
#         [-DFILE=<path>]           the -o file: removed before the run; with
#         [-DFILE_GOLDEN=<file>]      its content == file
#         [-DFILE_SVG=1]              it is an SVG document (<?xml ... <svg ... </svg>)
#         [-DFILE_ABSENT=1]           it was not written
#         -P run_draw.cmake
# ARGS separates arguments with '|'; in the other values {semicolon} stands for ';'.
string(REPLACE "|" ";" arg_list "${ARGS}")
foreach(k STDERR_FIRST OUTPUT_HAS GOLDEN_SUB)
  if(DEFINED ${k})
    string(REPLACE "{semicolon}" ";" ${k} "${${k}}")
  endif()
endforeach()
if(DEFINED FILE)
  file(REMOVE ${FILE})
endif()
set(cmd ${BIN} ${arg_list})
if(DEFINED PATH_ENV)
  set(cmd ${CMAKE_COMMAND} -E env PATH=${PATH_ENV} ${cmd})
endif()
execute_process(COMMAND ${cmd} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(shown "rmapcheck ${arg_list}\n--- exit ${rc}\n--- stderr:\n${err}")

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
    message(FATAL_ERROR "expected the output to contain\n  ${OUTPUT_HAS}\n${shown}\n--- stdout:\n${out}")
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
    message(FATAL_ERROR "stdout differs from ${GOLDEN} (the output changed: if that is meant, "
                        "tests/draw/update-goldens.sh rewrites the goldens; review their diff)\n"
                        "${shown}")
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
