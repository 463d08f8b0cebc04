# Turns the compiled BPF object into a C++ array (run with cmake -P):
#   -DIN=anon_vma_iter.bpf.o -DOUT=anon_vma_iter_object.cpp
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR size "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUT}
  "// Generated from ${IN} by embed_bpf.cmake; do not edit.\n"
  "#include <cstddef>\n"
  "extern const unsigned char rmapcheck_anon_vma_iter_bpf[];\n"
  "extern const std::size_t rmapcheck_anon_vma_iter_bpf_size;\n"
  "alignas(8) const unsigned char rmapcheck_anon_vma_iter_bpf[] = {${bytes}};\n"
  "const std::size_t rmapcheck_anon_vma_iter_bpf_size = ${size};\n")
