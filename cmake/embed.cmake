# embed.cmake: turn files into a C source of byte arrays (run with cmake -P).
#
# Inputs: OUT (the .c to write), NAME (symbol prefix), FILES (;-separated list).
# Output: for each file i, `static const unsigned char NAME_i[]`, and a table
#   const rci_embedded_file NAME[] = {{basename, bytes, len}, ...}; size_t NAME_count;
# One table serves the descriptor set (one file) and the migrations (many),
# so rcid is one binary that needs nothing from the source tree at run time.
set(body "#include <stddef.h>\n#include \"platform/embedded.h\"\n\n")
set(table "")
set(i 0)
foreach(f IN LISTS FILES)
  file(READ "${f}" hex HEX)
  string(LENGTH "${hex}" hexlen)
  math(EXPR len "${hexlen} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  string(REGEX REPLACE "(0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f])" "\\1\n" hex "${hex}")
  get_filename_component(base "${f}" NAME)
  string(APPEND body "static const unsigned char ${NAME}_${i}[] = {\n${hex}0x00};\n")
  string(APPEND table "  {\"${base}\", ${NAME}_${i}, ${len}},\n")
  math(EXPR i "${i} + 1")
endforeach()
string(APPEND body "\nconst rci_embedded_file ${NAME}[] = {\n${table}  {NULL, NULL, 0}\n};\nconst size_t ${NAME}_count = ${i};\n")
file(WRITE "${OUT}.tmp" "${body}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
