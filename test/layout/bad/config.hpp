// A fixture of layout.include_graph_finds_each_defect: an upward include
// (base includes future) that closes a cycle.
#include <herd/future.hpp>
