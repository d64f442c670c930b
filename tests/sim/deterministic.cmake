# Runs mesh_sim twice with one seed (cmake -DMESH_SIM=<path> -P deterministic.cmake) and fails
# unless both runs print the same JSON.
set(args --peers 60 --messages 4 --seed 7 --churn 0.3 --churn-heal 10 --loss 0.02 --json)
foreach(run 1 2)
  execute_process(COMMAND "${MESH_SIM}" ${args} OUTPUT_VARIABLE out_${run} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "mesh_sim exited with ${rc}")
  endif()
endforeach()
if(NOT out_1 STREQUAL out_2)
  message(FATAL_ERROR "two runs with one seed differ:\n${out_1}\n---\n${out_2}")
endif()
