# Writes one chapter's attention explorer for its docs page: runs the chapter with --dump,
# then workbook_view on the dump, and keeps the page as <OUT>/ch<NN>_explorer.html (the docs
# copy it into the site; the chapter's page embeds it with \htmlinclude ch<NN>_explorer_frame.html).
#   cmake -DBINARY=<chapter program> -DVIEW=<workbook_view> -DSLUG=11_multihead_attention -DOUT=<folder>
#         -P chapter_explorer.cmake
string(SUBSTRING "${SLUG}" 0 2 number)
set(work "${OUT}/${SLUG}")
file(REMOVE_RECURSE "${work}")
execute_process(COMMAND "${BINARY}" --dump "${work}" --no-color
                OUTPUT_QUIET ERROR_VARIABLE err RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${SLUG} --dump ${work} failed (exit status ${status}): ${err}")
endif()
execute_process(COMMAND "${VIEW}" "${work}" OUTPUT_QUIET ERROR_VARIABLE err RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "workbook_view ${work} failed (exit status ${status}): ${err}")
endif()
file(COPY_FILE "${work}/explorer.html" "${OUT}/ch${number}_explorer.html")
file(REMOVE_RECURSE "${work}")
