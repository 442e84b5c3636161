// herd-bench: runs herd's benchmark scenarios side by side with raw-Asio
// baselines and prints ns per operation and ratios (or JSON).
//
//   herd-bench --list
//   herd-bench --scenario submit [--threads N] [--repeat R] [--scale S] [--json]
#include "bench.hpp"

#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <thread>

namespace po = boost::program_options;

namespace {

void print_table(const std::string& scenario, std::size_t threads, const std::vector<herd::bench::result>& rs)
{
  std::printf("scenario %s, threads %zu\n", scenario.c_str(), threads);
  std::printf("%-34s %-16s %14s %12s\n", "variant", "param", "ns/op", "herd/this");
  // Each row is compared with the herd row that shares its param.
  for (const auto& r : rs)
  {
    double herd_ns = 0;
    for (const auto& h : rs)
      if (h.param == r.param && h.name.rfind("herd", 0) == 0)
      {
        herd_ns = h.ns_per_op;
        break;
      }
    std::printf("%-34s %-16s %14.1f %12.2f\n", r.name.c_str(), r.param.c_str(), r.ns_per_op,
                r.ns_per_op > 0 ? herd_ns / r.ns_per_op : 0.0);
  }
}

boost::json::object to_json(const std::string& scenario, std::size_t threads,
                             const std::vector<herd::bench::result>& rs)
{
  boost::json::array results;
  for (const auto& r : rs)
    results.push_back(boost::json::object{{"name", r.name}, {"param", r.param}, {"ns_per_op", r.ns_per_op}});
  return boost::json::object{{"scenario", scenario}, {"threads", threads}, {"results", std::move(results)}};
}

} // namespace

int main(int argc, char** argv)
{
  herd::bench::options o;
  o.threads = std::max(1u, std::thread::hardware_concurrency());
  std::string scenario;
  po::options_description desc("herd-bench: herd against raw Asio, in one run\nOptions");
  desc.add_options()("help,h", "show this help")("list", "list the scenarios")(
      "scenario,s", po::value(&scenario), "scenario to run, or 'all'")(
      "threads,t", po::value(&o.threads)->default_value(o.threads), "pool threads")(
      "repeat,r", po::value(&o.repeat)->default_value(o.repeat), "runs per variant; the median is reported")(
      "scale", po::value(&o.scale)->default_value(o.scale), "workload size factor (1 = as documented)")(
      "json", "print one JSON object per scenario instead of a table");
  po::variables_map vm;
  try
  {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  }
  catch (const std::exception& e)
  {
    std::cerr << "herd-bench: " << e.what() << "\n" << desc;
    return 2;
  }
  const auto& reg = herd::bench::registry();
  if (vm.count("help") || (!vm.count("list") && scenario.empty()))
  {
    std::cout << desc << "\nScenarios:\n";
    for (const auto& [name, entry] : reg)
      std::cout << "  " << name << ": " << entry.first << "\n";
    return vm.count("help") ? 0 : 2;
  }
  if (vm.count("list"))
  {
    for (const auto& [name, entry] : reg)
      std::cout << name << "\n";
    return 0;
  }
  if (o.threads == 0)
  {
    std::cerr << "herd-bench: --threads must be at least 1\n";
    return 2;
  }
  if (!(o.scale > 0))
  {
    std::cerr << "herd-bench: --scale must be positive\n";
    return 2;
  }
  std::vector<std::string> names;
  if (scenario == "all")
    for (const auto& [name, entry] : reg)
      names.push_back(name);
  else if (reg.count(scenario))
    names.push_back(scenario);
  else
  {
    std::cerr << "herd-bench: unknown scenario '" << scenario << "' (try --list)\n";
    return 2;
  }
  try
  {
    for (const auto& name : names)
    {
      auto rs = reg.at(name).second(o);
      if (vm.count("json"))
        std::cout << boost::json::serialize(to_json(name, o.threads, rs)) << "\n";
      else
        print_table(name, o.threads, rs);
    }
  }
  catch (const std::exception& e)
  {
    std::cerr << "herd-bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
