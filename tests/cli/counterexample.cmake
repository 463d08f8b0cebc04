# counterexample.cmake - a counterexample found under --mutant replays as its
# file says.
#
#   cmake -DBIN=<rmapcheck> -DWORK=<scratch dir> -P counterexample.cmake
#
# A campaign with the cve-2022-42703 mutant finds a counterexample (exit 1)
# and writes it to --out; the file's `# replay:` line must carry the mutant,
# and that line, run as written (THIS_FILE replaced by the file), must fail
# as the campaign did (exit 1), while the same trace passes without it.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
execute_process(COMMAND ${BIN} campaign --seed 1 --cases 300 --mutant cve-2022-42703 --out out
                WORKING_DIRECTORY ${WORK} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "the mutant must be found (exit 1), got ${rc}\n${out}${err}")
endif()
file(GLOB files ${WORK}/out/counterexample-*.trace)
list(LENGTH files n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "expected one counterexample file, got: ${files}\n${out}")
endif()
file(STRINGS ${files} replay REGEX "^# replay:")
set(want "# replay:    rmapcheck replay THIS_FILE --engine both --mutant cve-2022-42703")
if(NOT replay STREQUAL want)
  message(FATAL_ERROR "the replay line must carry the mutant:\n  want: ${want}\n  got:  ${replay}")
endif()
string(FIND "${out}" "replay: rmapcheck replay out/counterexample-" at)
string(FIND "${out}" " --engine both --mutant cve-2022-42703\n" at2)
if(at EQUAL -1 OR at2 EQUAL -1)
  message(FATAL_ERROR "the printed replay command must carry the mutant too\n${out}")
endif()
string(REGEX REPLACE "^# replay: +rmapcheck " "" args "${replay}")
string(REPLACE "THIS_FILE" "${files}" args "${args}")
separate_arguments(args UNIX_COMMAND "${args}")
execute_process(COMMAND ${BIN} ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE rout ERROR_VARIABLE rerr)
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "rmapcheck ${args} must fail as the campaign did (exit 1), got ${rc}\n${rout}${rerr}")
endif()
execute_process(COMMAND ${BIN} replay ${files} --engine both RESULT_VARIABLE rc OUTPUT_VARIABLE rout)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "without the mutant the trace must pass, got ${rc}\n${rout}")
endif()
