# Installs xreg into a scratch prefix, builds the consumer plugin against the installed SDK,
# and runs it with the installed host. Inputs: XREG_BUILD_DIR, CONSUMER_SOURCE_DIR, WORK_DIR.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "failed (${status}): ${ARGN}\n${out}\n${err}")
  endif()
  set(output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --install ${XREG_BUILD_DIR} --prefix ${prefix})
run(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${WORK_DIR}/build
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)

set(xreg ${prefix}/bin/xreg)
run(${xreg} plugins --plugin-dir ${WORK_DIR}/build)
foreach(expected "metric      max_abs_error" "model       mlp" "metric      mse")
  string(FIND "${output}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "'xreg plugins' does not list '${expected}':\n${output}")
  endif()
endforeach()

run(${xreg} run ${CONSUMER_SOURCE_DIR}/pipeline.toml --plugin-dir ${WORK_DIR}/build
    --output ${WORK_DIR}/out --quiet)
string(REGEX MATCH "max_abs_error +[0-9.e+-]+" row "${output}")
if(NOT row)
  message(FATAL_ERROR "the run's table has no max_abs_error row:\n${output}")
endif()
message(STATUS "sdk consumer: ${row}")
