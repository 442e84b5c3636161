// A fixture of layout.include_graph_finds_each_defect: a header in no layer.
