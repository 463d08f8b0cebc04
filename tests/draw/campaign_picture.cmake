# campaign_picture.cmake - the campaign saves a picture beside its counterexample.
#
#   cmake -DBIN=<rmapcheck> -DWORK=<dir> -DMUTANT=<name> [-DPATH_ENV=<dirs>] -P campaign_picture.cmake
#
# Runs a campaign with the mutant into WORK, then requires: one
# counterexample-*.trace, a .dot beside it that is byte for byte what
# `rmapcheck draw --engine both --mutant MUTANT` draws from that file (run
# in WORK, where the title names it by file name, as the campaign does),
# and a .svg beside it, or, with PATH_ENV (a PATH without Graphviz), none
# and the log saying why.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(cmd ${BIN} campaign --seed 1 --cases 100 --mutant ${MUTANT} --deterministic-report --out ${WORK})
if(DEFINED PATH_ENV)
  set(cmd ${CMAKE_COMMAND} -E env PATH=${PATH_ENV} ${cmd})
endif()
execute_process(COMMAND ${cmd} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(shown "--- exit ${rc}\n--- stdout:\n${out}--- stderr:\n${err}")
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "expected the campaign to find a counterexample (exit 1)\n${shown}")
endif()
file(GLOB traces ${WORK}/counterexample-*.trace)
list(LENGTH traces n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "expected one counterexample trace in ${WORK}, found ${n}\n${shown}")
endif()
string(REGEX REPLACE "\\.trace$" "" stem "${traces}")
get_filename_component(name ${traces} NAME)
if(NOT EXISTS ${stem}.dot)
  message(FATAL_ERROR "no ${stem}.dot beside the counterexample\n${shown}")
endif()
if(DEFINED PATH_ENV)
  set(said "picture written to ${stem}.dot (no .svg: Graphviz's dot is not installed)")
  if(EXISTS ${stem}.svg)
    message(FATAL_ERROR "${stem}.svg written without Graphviz on PATH\n${shown}")
  endif()
else()
  set(said "picture written to ${stem}.dot and ${stem}.svg")
  file(READ ${stem}.svg svg)
  string(FIND "${svg}" "<?xml" xml)
  string(FIND "${svg}" "</svg>" end)
  if(NOT xml EQUAL 0 OR end EQUAL -1)
    message(FATAL_ERROR "${stem}.svg is not an SVG document\n${shown}")
  endif()
endif()
string(FIND "${out}" "${said}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "expected the campaign to say\n  ${said}\n${shown}")
endif()
execute_process(COMMAND ${BIN} draw --engine both --mutant ${MUTANT} ${name}
                WORKING_DIRECTORY ${WORK} RESULT_VARIABLE drc OUTPUT_VARIABLE drawn ERROR_VARIABLE derr)
file(READ ${stem}.dot saved)
if(NOT drc EQUAL 1 OR NOT drawn STREQUAL saved)
  message(FATAL_ERROR "${stem}.dot is not what `rmapcheck draw --engine both --mutant ${MUTANT} "
                      "${name}` draws (exit ${drc}: ${derr})\n${shown}")
endif()
