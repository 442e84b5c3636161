// The layers of include/herd/ and the check that keeps them (issue 16,
// acceptance 2): builds the graph of `#include <herd/...>` lines under the
// directory given on the command line and fails (exit 1, one line per
// finding) on
//  - a header that is in no layer below (a new header must be placed);
//  - an upward include: a header that includes one of a higher layer;
//  - a cycle: headers that include each other, directly or through others
//    (but for Asio's pattern of a header and its impl/*.ipp, see below).
// ctest runs it as layout.include_graph; README's "Architecture" section
// shows the same layers.
//
//   herd_layout_check <path to include/herd>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace
{

struct layer
{
  const char* name;
  std::vector<const char*> headers; // paths under include/herd/; "dir/" takes a whole folder
};

// Lowest first. A header may include headers of its own layer and of the
// layers before it.
const std::vector<layer> layers = {
    {"base",
     {"config.hpp", "error.hpp", "impl/error.ipp", "clock.hpp", "testing/", "polling.hpp", "progress.hpp",
      "impl/progress.ipp", "detail/async_base.hpp", "detail/asio_workarounds.hpp", "detail/op_traits.hpp",
      "detail/futex.hpp", "detail/running_in.hpp"}},
    {"future", {"future.hpp", "task_state.hpp", "impl/future.hpp", "detail/shared_state.hpp", "impl/shared_state.ipp"}},
    {"sync", {"sync/", "rate_limiter.hpp", "detail/sync_core.hpp"}},
    {"composed",
     {"retry.hpp", "timeout.hpp", "cancel_scope.hpp", "circuit_breaker.hpp", "detail/composed.hpp",
      "detail/scope_op.hpp"}},
    {"executor",
     {"async_executor.hpp", "impl/async_executor.hpp", "executor_options.hpp", "map_range.hpp", "executor_stats.hpp", "interop.hpp", "task_group.hpp", "detail/executor_impl.hpp", "impl/executor_impl.ipp",
      "detail/managed_task.hpp", "detail/map_driver.hpp", "detail/map_run.hpp", "detail/map_workers.hpp", "detail/map_op.hpp", "detail/submit_op.hpp",
      "detail/task.hpp"}},
    {"waits",
     {"wait.hpp", "impl/wait.ipp", "gather.hpp", "gather_options.hpp", "detail/gather_finish.hpp", "race.hpp", "detail/op_group.hpp", "detail/group_input.hpp", "detail/wait_core.hpp",
      "detail/multi_wait.hpp", "detail/foreign.hpp"}},
    {"streams", {"stream.hpp", "stream/", "gather_iter.hpp", "detail/stream_core.hpp", "detail/stream_producer.hpp", "detail/unique_callback.hpp", "detail/stream_adapter.hpp"}},
    {"workers", {"worker.hpp", "worker_errors.hpp", "worker_methods.hpp", "worker_process.hpp",
      "worker_mode.hpp", "worker_pool.hpp", "detail/worker_core.hpp", "detail/worker_registry.hpp", "detail/worker_process.hpp", "impl/worker_process.ipp"}},
    {"everything", {"herd.hpp", "impl/src.hpp"}},
};

int layer_of(const std::string& h)
{
  int found = -1;
  std::size_t best = 0; // the longest entry that matches wins
  for (std::size_t i = 0; i < layers.size(); ++i)
    for (const char* e : layers[i].headers)
    {
      std::string entry(e);
      bool folder = !entry.empty() && entry.back() == '/';
      bool match = folder ? h.compare(0, entry.size(), entry) == 0 : h == entry;
      if (match && entry.size() > best)
      {
        best = entry.size();
        found = static_cast<int>(i);
      }
    }
  return found;
}

} // namespace

int main(int argc, char** argv)
{
  if (argc != 2)
  {
    std::fprintf(stderr, "usage: herd_layout_check <path to include/herd>\n");
    return 2;
  }
  const fs::path root(argv[1]);
  if (!fs::is_directory(root))
  {
    std::fprintf(stderr, "herd_layout_check: %s is not a directory\n", argv[1]);
    return 2;
  }

  const std::regex include_line(R"(^\s*#\s*include\s*<herd/([^>]+)>)");
  std::map<std::string, std::vector<std::string>> graph;
  for (const auto& entry : fs::recursive_directory_iterator(root))
  {
    if (!entry.is_regular_file())
      continue;
    auto ext = entry.path().extension();
    if (ext != ".hpp" && ext != ".ipp")
      continue;
    std::string name = entry.path().lexically_relative(root).generic_string();
    auto& edges = graph[name];
    std::ifstream in(entry.path());
    std::string line;
    std::smatch m;
    while (std::getline(in, line))
      if (std::regex_search(line, m, include_line))
        edges.push_back(m[1]);
  }

  // Asio's separately compiled bodies: a header includes its impl/*.ipp
  // (header-only mode) and the .ipp includes the header (when src/ compiles
  // it alone). That pair is not a cycle: drop the .ipp's edge back.
  for (auto& [h, edges] : graph)
    if (h.size() > 4 && h.compare(h.size() - 4, 4, ".ipp") == 0)
      std::erase_if(edges,
                    [&, &ipp = h](const std::string& to)
                    {
                      auto it = graph.find(to);
                      return it != graph.end() &&
                             std::find(it->second.begin(), it->second.end(), ipp) != it->second.end();
                    });

  int findings = 0;
  for (const auto& [h, edges] : graph)
  {
    int lh = layer_of(h);
    if (lh < 0)
    {
      std::printf("unplaced: %s is in no layer (add it to test/layout/include_graph.cpp)\n", h.c_str());
      ++findings;
      continue;
    }
    for (const auto& to : edges)
    {
      if (!graph.count(to))
      {
        std::printf("missing: %s includes <herd/%s>, which does not exist\n", h.c_str(), to.c_str());
        ++findings;
        continue;
      }
      int lt = layer_of(to);
      if (lt > lh)
      {
        std::printf("upward: %s (%s) includes <herd/%s> (%s)\n", h.c_str(), layers[lh].name, to.c_str(),
                    lt >= 0 ? layers[lt].name : "?");
        ++findings;
      }
    }
  }

  // Cycles: depth-first search, each reported once by its path.
  std::map<std::string, int> state; // 0 new, 1 on the path, 2 done
  std::vector<std::string> path;
  std::set<std::string> reported;
  auto visit = [&](auto& self, const std::string& h) -> void
  {
    state[h] = 1;
    path.push_back(h);
    for (const auto& to : graph[h])
    {
      if (!graph.count(to))
        continue;
      if (state[to] == 1)
      {
        auto start = std::find(path.begin(), path.end(), to);
        std::string cycle;
        for (auto it = start; it != path.end(); ++it)
          cycle += *it + " -> ";
        cycle += to;
        if (reported.insert(cycle).second)
        {
          std::printf("cycle: %s\n", cycle.c_str());
          ++findings;
        }
      }
      else if (state[to] == 0)
        self(self, to);
    }
    path.pop_back();
    state[h] = 2;
  };
  for (const auto& [h, edges] : graph)
    if (state[h] == 0)
      visit(visit, h);

  if (findings)
  {
    std::printf("%d finding(s) in %zu headers\n", findings, graph.size());
    return 1;
  }
  std::printf("%zu headers in %zu layers: no cycle, no upward include\n", graph.size(), layers.size());
  return 0;
}
