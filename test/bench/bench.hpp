// The benchmark registry shared by tools/herd-bench and the scenarios under
// test/bench/<workload>/. Each scenario measures herd first, then each raw
// baseline, in the same run.
#ifndef HERD_BENCH_BENCH_HPP
#define HERD_BENCH_BENCH_HPP

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace herd::bench {

struct result
{
  std::string name;  // "herd ..." first, then the baselines
  std::string param; // e.g. "N=1000000"
  double ns_per_op;
};

struct options
{
  std::size_t threads = 2;
  std::size_t repeat = 5; // each variant is run this often; the median counts
  double scale = 1.0;     // multiplies the workload size (for quick runs)
};

using scenario_fn = std::function<std::vector<result>(const options&)>;

inline std::map<std::string, std::pair<std::string, scenario_fn>>& registry()
{
  static std::map<std::string, std::pair<std::string, scenario_fn>> r;
  return r;
}

struct registrar
{
  registrar(const char* name, const char* what, scenario_fn fn) { registry()[name] = {what, std::move(fn)}; }
};

// Runs the variants round-robin, `repeat` rounds, and returns each one's
// median wall time in ns. Interleaving lets a noisy machine slow every
// variant alike, so that the ratios between them stay meaningful.
inline std::vector<double> interleaved_median_ns(std::size_t repeat, const std::vector<std::function<void()>>& variants)
{
  std::vector<std::vector<double>> samples(variants.size());
  for (std::size_t round = 0; round < std::max<std::size_t>(1, repeat); ++round)
    for (std::size_t v = 0; v < variants.size(); ++v)
    {
      const auto t0 = std::chrono::steady_clock::now();
      variants[v]();
      const auto t1 = std::chrono::steady_clock::now();
      samples[v].push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
    }
  std::vector<double> medians;
  for (auto& s : samples)
  {
    std::sort(s.begin(), s.end());
    medians.push_back(s[s.size() / 2]);
  }
  return medians;
}

} // namespace herd::bench

#endif // HERD_BENCH_BENCH_HPP
