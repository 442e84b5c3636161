// A fixture for layout.headers_compile_alone_finds_a_defect: a header that
// includes what it uses (the check must not name it).
#ifndef HERD_TEST_FINE_HPP
#define HERD_TEST_FINE_HPP
#include <vector>
inline std::vector<int> fine() { return {1}; }
#endif
