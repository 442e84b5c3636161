// A fixture for layout.headers_compile_alone_finds_a_defect: a header that
// names std::vector without including <vector>.
#ifndef HERD_TEST_USES_VECTOR_HPP
#define HERD_TEST_USES_VECTOR_HPP
inline std::vector<int> numbers() { return {1, 2}; }
#endif
