# Installs the build into a scratch prefix, then configures, builds and runs
# the consumer project against it.
file(REMOVE_RECURSE ${HERD_WORK_DIR})
set(prefix ${HERD_WORK_DIR}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()

run(${CMAKE_COMMAND} --install ${HERD_BUILD_DIR} --prefix ${prefix})
run(${CMAKE_COMMAND} -S ${HERD_CONSUMER_DIR} -B ${HERD_WORK_DIR}/build -G ${HERD_GENERATOR}
    -DCMAKE_CXX_COMPILER=${HERD_CXX} -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${HERD_WORK_DIR}/build)
run(${HERD_WORK_DIR}/build/consumer)
