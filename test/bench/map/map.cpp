// Scenario "map": N no-op items through async_executor::map at several
// limits, against the same items posted raw to a net::thread_pool of the
// same width (each writes its result slot; the main thread waits on a
// latch). Both pools are started outside the timed region.
#include "../bench.hpp"

#include <herd/herd.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <latch>
#include <numeric>
#include <stdexcept>
#include <string>

namespace herd::bench {
namespace {

std::vector<result> run_map(const options& o)
{
  namespace net = boost::asio;
  const std::size_t n = std::max<std::size_t>(1000, static_cast<std::size_t>(100'000 * o.scale));
  std::vector<int> items(n);
  std::iota(items.begin(), items.end(), 0);
  herd::async_executor ex(o.threads);
  net::thread_pool pool(o.threads);

  std::vector<result> out;
  for (std::size_t limit : {1, 16, 256, 1024})
  {
    const std::string param = "N=" + std::to_string(n) + " limit=" + std::to_string(limit);
    auto herd_map = [&]
    {
      const std::vector<int> r = ex.map({.limit = limit}, [](int x) { return x; }, items);
      if (r.size() != n || r.back() != static_cast<int>(n - 1))
        throw std::runtime_error("map: wrong results from herd");
    };
    auto raw_post = [&]
    {
      std::vector<int> r(n);
      std::latch done(static_cast<std::ptrdiff_t>(n));
      for (std::size_t i = 0; i < n; ++i)
        net::post(pool,
                  [&, i]
                  {
                    r[i] = items[i];
                    done.count_down();
                  });
      done.wait();
      if (r.back() != static_cast<int>(n - 1))
        throw std::runtime_error("map: wrong results from raw post");
    };
    const auto ns = interleaved_median_ns(o.repeat, {herd_map, raw_post});
    out.push_back({"herd map", param, ns[0] / n});
    out.push_back({"raw asio::post of each item", param, ns[1] / n});
  }
  return out;
}

const registrar reg("map", "N no-op items through map(limit) vs posted raw (ns/item)", run_map);

} // namespace
} // namespace herd::bench
