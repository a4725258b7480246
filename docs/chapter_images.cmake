# Draws one chapter's heatmaps and plots for the docs: runs the chapter with --svg and
# copies every image into the docs' image folder as ch<NN>_<name>.svg (Doxygen finds an
# image by its file name alone, so the names must be unique across chapters).
#   cmake -DBINARY=<chapter program> -DSLUG=06_self_attention -DOUT=<folder> -P chapter_images.cmake
string(SUBSTRING "${SLUG}" 0 2 number)
set(work "${OUT}/${SLUG}")
file(REMOVE_RECURSE "${work}")
execute_process(COMMAND "${BINARY}" --svg "${work}" --no-color
                OUTPUT_QUIET ERROR_VARIABLE err RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${SLUG} --svg ${work} failed (exit status ${status}): ${err}")
endif()
file(GLOB old "${OUT}/ch${number}_*.svg")
if(old)
  file(REMOVE ${old})
endif()
file(GLOB images "${work}/*.svg")
foreach(image IN LISTS images)
  get_filename_component(name "${image}" NAME)
  file(COPY_FILE "${image}" "${OUT}/ch${number}_${name}")
endforeach()
file(REMOVE_RECURSE "${work}")
file(TOUCH "${OUT}/${SLUG}.stamp")
