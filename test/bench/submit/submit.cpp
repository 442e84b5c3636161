// Scenario "submit": N no-op tasks submitted, then every result collected.
// herd: submit() + future::get() in order. Baselines on a raw
// net::thread_pool of the same width: post() with no result (waited for with
// thread_pool::wait()), and post(pool, use_future(f)) + std::future::get().
// Each variant starts its own pool inside the timed region, and every
// variant's results are released inside it too.
#include "../bench.hpp"

#include <herd/herd.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <future>
#include <stdexcept>
#include <string>

namespace herd::bench {
namespace {

std::vector<result> run_submit(const options& o)
{
  namespace net = boost::asio;
  const std::size_t n = std::max<std::size_t>(1000, static_cast<std::size_t>(1'000'000 * o.scale));
  const std::size_t expected = n * (n - 1) / 2;
  const std::string param = "N=" + std::to_string(n);

  auto herd_submit = [&]
  {
    herd::async_executor ex(o.threads);
    std::vector<herd::future<std::size_t>> fs;
    fs.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
      fs.push_back(ex.submit([i] { return i; }));
    std::size_t sum = 0;
    for (auto& f : fs)
      sum += f.get();
    if (sum != expected)
      throw std::runtime_error("submit: wrong sum from herd");
  };
  auto raw_post = [&]
  {
    net::thread_pool pool(o.threads);
    for (std::size_t i = 0; i < n; ++i)
      net::post(pool, [] {});
    pool.wait();
  };
  auto raw_use_future = [&]
  {
    net::thread_pool pool(o.threads);
    std::vector<std::future<std::size_t>> fs;
    fs.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
      fs.push_back(net::post(pool, net::use_future([i] { return i; })));
    std::size_t sum = 0;
    for (auto& f : fs)
      sum += f.get();
    pool.wait();
    if (sum != expected)
      throw std::runtime_error("submit: wrong sum from use_future");
  };

  const auto ns = interleaved_median_ns(o.repeat, {herd_submit, raw_post, raw_use_future});
  return {{"herd submit+future", param, ns[0] / n},
          {"raw asio::post (no result)", param, ns[1] / n},
          {"raw asio::post(use_future)", param, ns[2] / n}};
}

const registrar reg("submit", "N no-op tasks submitted, then all results collected (ns/task)", run_submit);

} // namespace
} // namespace herd::bench
