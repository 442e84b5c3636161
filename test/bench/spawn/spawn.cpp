// Scenario "spawn": N trivial children spawned into one task group on a
// thread pool, against raw co_spawn of the same coroutines with a counter
// (ns per child). Both pools start outside the timed region.
#include "../bench.hpp"

#include <herd/herd.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/thread_pool.hpp>
#include <atomic>
#include <future>
#include <latch>
#include <stdexcept>
#include <string>

namespace herd::bench {
namespace {

namespace net = boost::asio;

std::vector<result> run_spawn(const options& o)
{
  const std::size_t n = std::max<std::size_t>(1000, static_cast<std::size_t>(1'000'000 * o.scale));
  net::thread_pool pool(o.threads);
  std::atomic<std::size_t> ran{0};

  auto herd_group = [&]
  {
    ran = 0;
    std::promise<std::exception_ptr> done;
    herd::with_task_group(
        pool.get_executor(),
        [&](herd::task_group& g) -> net::awaitable<void>
        {
          for (std::size_t i = 0; i < n; ++i)
            g.spawn(
                [](std::atomic<std::size_t>& ran) -> net::awaitable<void>
                {
                  ran.fetch_add(1, std::memory_order_relaxed);
                  co_return;
                }(ran));
          co_return;
        },
        [&](std::exception_ptr e) { done.set_value(e); });
    if (done.get_future().get() || ran.load() != n)
      throw std::runtime_error("spawn: herd group lost children");
  };
  auto raw_co_spawn = [&]
  {
    std::latch all(static_cast<std::ptrdiff_t>(n));
    for (std::size_t i = 0; i < n; ++i)
      net::co_spawn(
          pool,
          [](std::latch& all) -> net::awaitable<void>
          {
            all.count_down();
            co_return;
          }(all),
          net::detached);
    all.wait();
  };
  const auto ns = interleaved_median_ns(o.repeat, {herd_group, raw_co_spawn});
  const std::string param = "N=" + std::to_string(n);
  pool.join();
  return {{"herd task_group spawn", param, ns[0] / n}, {"raw co_spawn + counter", param, ns[1] / n}};
}

const registrar reg("spawn", "N trivial children in one task group vs raw co_spawn (ns/child)", run_spawn);

} // namespace
} // namespace herd::bench
