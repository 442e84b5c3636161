// A fixture of layout.include_graph_finds_each_defect (see config.hpp).
#include <herd/config.hpp>
