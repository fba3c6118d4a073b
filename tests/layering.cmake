# The architecture, checked (ctest "layering"): the worker (ingest/) and the router (router/)
# meet only on the wire, standing side by side on proto/ and common/; tools stand on them too
# (xl-motion-eval, in tools/motion_eval/, also on analytics/: it scores its motion detectors).
# Run as: cmake -DSOURCE_DIR=... -DROUTER=<xl-router> -DTOOLS="<xl-camsim>;<xl-console>;<xl>" -P layering.cmake
# Fails with every offending include, or library, named.
cmake_minimum_required(VERSION 3.25)

# folder → the top folders its files may include from
set(allowed_common "common")
set(allowed_proto "proto;common")
set(allowed_analytics "analytics;proto;common")
set(allowed_ingest "ingest;analytics;proto;common")
set(allowed_router "router;proto;common")
set(allowed_tools "tools;proto;common")

set(faults "")
foreach(folder common proto analytics ingest router tools)
  file(GLOB_RECURSE files RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/${folder}/*.h" "${SOURCE_DIR}/${folder}/*.cc")
  foreach(f ${files})
    file(STRINGS "${SOURCE_DIR}/${f}" includes REGEX "^#include \"[^\"]+/")
    foreach(line ${includes})
      string(REGEX REPLACE "^#include \"([^/\"]+)/.*" "\\1" top "${line}")
      set(allowed "${allowed_${folder}}")
      if(f MATCHES "^tools/motion_eval/")
        list(APPEND allowed analytics)  # it scores the analytics library's detectors offline
      endif()
      if(NOT top IN_LIST allowed)
        string(APPEND faults "  ${f}: ${line} (${folder}/ may include only ${allowed_${folder}})\n")
      endif()
    endforeach()
  endforeach()
endforeach()

# The router speaks SIP in one place only: up to a GB/T 28181 platform (router/gb_upward/).
file(GLOB_RECURSE router_files RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/router/*.h" "${SOURCE_DIR}/router/*.cc")
foreach(f ${router_files})
  if(f MATCHES "^router/gb_upward/")
    continue()
  endif()
  file(STRINGS "${SOURCE_DIR}/${f}" sip REGEX "^#include \"proto/gb28181/(sip_message|manscdp|sdp)\\.h\"")
  foreach(line ${sip})
    string(APPEND faults "  ${f}: ${line} (SIP is router/gb_upward/'s alone)\n")
  endforeach()
endforeach()

# The router validates cameras without OpenCV; tools link no worker code.
foreach(binary ${ROUTER} ${TOOLS})
  execute_process(COMMAND ldd "${binary}" OUTPUT_VARIABLE libs RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    string(APPEND faults "  ldd ${binary} failed\n")
  endif()
  set(forbidden "libopencv")
  foreach(lib ${forbidden})
    string(FIND "${libs}" "${lib}" at)
    if(NOT at EQUAL -1)
      get_filename_component(name "${binary}" NAME)
      string(APPEND faults "  ${name} links ${lib}\n")
    endif()
  endforeach()
endforeach()

if(faults)
  message(FATAL_ERROR "layering: the architecture is broken:\n${faults}")
endif()
message(STATUS "layering: every include and library stands where it should")
