# merge.cmake - campaign-merge as a user runs it on the reports of shards.
#
#   cmake -DBIN=<rmapcheck> -DWORK=<scratch dir> -DMODE=incomplete|same -P merge.cmake
#
# Runs shards 0..3 of one small campaign, then:
#   incomplete: merging 3 of the 4 reports fails (exit 1) and names shard 2;
#               the merged report says "incomplete" and lists it as missing.
#   same:       `campaign --merge` and `campaign-merge` are one command: the
#               same exit code, stdout and stderr, printed or with --out (then
#               the same report.json), complete or not.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

function(run out_var)
  execute_process(COMMAND ${BIN} ${ARGN} WORKING_DIRECTORY ${WORK}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(${out_var}_rc "${rc}" PARENT_SCOPE)
  set(${out_var}_out "${out}" PARENT_SCOPE)
  set(${out_var}_err "${err}" PARENT_SCOPE)
  set(${out_var}_shown "rmapcheck ${ARGN}\n--- exit ${rc}\n--- stdout:\n${out}--- stderr:\n${err}" PARENT_SCOPE)
endfunction()

foreach(i 0 1 2 3)
  run(shard campaign --seed 3 --cases 40 --shard ${i}/4 --deterministic-report --out shards)
  if(NOT shard_rc EQUAL 0)
    message(FATAL_ERROR "shard ${i} failed\n${shard_shown}")
  endif()
endforeach()
set(three shards/report-shard-0-of-4.json shards/report-shard-1-of-4.json shards/report-shard-3-of-4.json)
set(four ${three} shards/report-shard-2-of-4.json)

if(MODE STREQUAL "incomplete")
  run(m campaign-merge ${three} --out merged)
  if(NOT m_rc EQUAL 1)
    message(FATAL_ERROR "3 of 4 shards must not merge as a pass (exit 1)\n${m_shown}")
  endif()
  string(FIND "${m_err}" "rmapcheck campaign-merge: incomplete: 1 of 4 shards missing (shard 2)" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the message must name the missing shard\n${m_shown}")
  endif()
  file(READ ${WORK}/merged/report.json rep)
  string(JSON result GET "${rep}" result)
  string(JSON missing GET "${rep}" config shard missing)
  if(NOT result STREQUAL "incomplete" OR NOT missing MATCHES "^\\[[ \n]*2[ \n]*\\]$")
    message(FATAL_ERROR "the merged report must say incomplete, shard 2 missing:\n${rep}")
  endif()
  run(all campaign-merge ${four} --out merged)
  if(NOT all_rc EQUAL 0)
    message(FATAL_ERROR "all 4 shards merge as a pass\n${all_shown}")
  endif()
elseif(MODE STREQUAL "same")
  foreach(set three four)
    run(a campaign-merge ${${set}} --deterministic-report)
    run(b campaign --merge ${${set}} --deterministic-report)
    if(NOT a_rc EQUAL b_rc OR NOT a_out STREQUAL b_out OR NOT a_err STREQUAL b_err)
      message(FATAL_ERROR "campaign --merge differs from campaign-merge (${set} shards)\n${a_shown}\n${b_shown}")
    endif()
    run(a campaign-merge ${${set}} --deterministic-report --out a-${set})
    run(b campaign --merge ${${set}} --deterministic-report --out b-${set})
    string(REPLACE "a-${set}" "DIR" a_norm "${a_out}${a_err}")
    string(REPLACE "b-${set}" "DIR" b_norm "${b_out}${b_err}")
    if(NOT a_rc EQUAL b_rc OR NOT a_norm STREQUAL b_norm)
      message(FATAL_ERROR "campaign --merge --out differs from campaign-merge --out (${set} shards)\n${a_shown}\n${b_shown}")
    endif()
    file(READ ${WORK}/a-${set}/report.json ra)
    file(READ ${WORK}/b-${set}/report.json rb)
    if(NOT ra STREQUAL rb)
      message(FATAL_ERROR "the two report.json differ (${set} shards)")
    endif()
  endforeach()
else()
  message(FATAL_ERROR "MODE must be incomplete or same")
endif()
