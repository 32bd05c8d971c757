# cmake -DINPUT=FILE -DOUTPUT=FILE.cc -DNAMESPACE=ns -DSYMBOL=name -P embed_text.cmake
# Writes a C++ source defining `const std::string_view ns::name` with the bytes of INPUT (an asset
# compiled into the binary, so serving it needs no file at run time).
file(READ "${INPUT}" content)
set(delimiter "gatehouse_embed")
string(FIND "${content}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter )${delimiter}\"")
endif()
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by cmake/embed_text.cmake; do not edit.\n"
  "#include <string_view>\n\nnamespace ${NAMESPACE} {\n\nextern const std::string_view ${SYMBOL};\n"
  "const std::string_view ${SYMBOL} = R\"${delimiter}(${content})${delimiter}\";\n\n}  // namespace ${NAMESPACE}\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
