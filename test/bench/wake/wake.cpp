// Scenario "wake": a thread parked in herd::wait(first_completed) over 16
// pending futures; another thread settles one of them. Measures from just
// before the settle to the return of wait (p50, p99). Baselines in the same
// run: std::future::wait on a std::promise, and io_context::run_one woken by
// a post from another thread.
#include "../bench.hpp"

#include <herd/herd.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <atomic>
#include <future>
#include <thread>

namespace herd::bench {
namespace {

using clk = std::chrono::steady_clock;

// The setter waits until the waiter announced itself, then long enough for
// it to have parked, then settles. Returns per-sample latencies in ns.
template <class Prepare, class Wait, class Settle>
std::vector<double> sample(std::size_t n, Prepare prepare, Wait wait, Settle settle)
{
  std::vector<double> lat;
  lat.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
  {
    prepare();
    std::atomic<bool> waiting{false};
    clk::time_point t0;
    std::thread setter(
        [&]
        {
          while (!waiting.load(std::memory_order_acquire))
            std::this_thread::yield();
          const auto until = clk::now() + std::chrono::microseconds(200);
          while (clk::now() < until)
          {
          }
          t0 = clk::now();
          settle();
        });
    waiting.store(true, std::memory_order_release);
    wait();
    const auto t1 = clk::now();
    setter.join();
    lat.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
  }
  return lat;
}

double percentile(std::vector<double> v, double p)
{
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

std::vector<result> run_wake(const options& o)
{
  const std::size_t n = std::max<std::size_t>(200, static_cast<std::size_t>(5000 * o.scale));
  const std::string param = "K=16 samples=" + std::to_string(n);

  std::vector<herd::promise<int>> ps;
  std::vector<herd::future<int>> fs;
  auto herd_lat = sample(
      n,
      [&]
      {
        ps = std::vector<herd::promise<int>>(16);
        fs.clear();
        for (auto& p : ps)
          fs.push_back(p.get_future());
      },
      [&]
      {
        auto r = herd::wait(fs, {.when = herd::return_when::first_completed});
        if (r.done.size() != 1)
          throw std::runtime_error("wake: wrong done count");
      },
      [&] { ps[7].set_value(7); });

  std::promise<int> sp;
  std::future<int> sf;
  auto std_lat = sample(
      n,
      [&]
      {
        sp = std::promise<int>();
        sf = sp.get_future();
      },
      [&] { sf.wait(); }, [&] { sp.set_value(1); });

  boost::asio::io_context ctx;
  auto guard = boost::asio::make_work_guard(ctx); // run_one blocks until the post
  auto asio_lat = sample(
      n, [&] { ctx.restart(); }, [&] { ctx.run_one(); }, [&] { boost::asio::post(ctx, [] {}); });

  return {{"herd wait(first_completed) p50", param, percentile(herd_lat, 0.50)},
          {"herd wait(first_completed) p99", param, percentile(herd_lat, 0.99)},
          {"std::future::wait p50", param, percentile(std_lat, 0.50)},
          {"std::future::wait p99", param, percentile(std_lat, 0.99)},
          {"asio io_context::run_one p50", param, percentile(asio_lat, 0.50)},
          {"asio io_context::run_one p99", param, percentile(asio_lat, 0.99)}};
}

const registrar reg("wake", "latency from a completion to wait(first_completed) returning (ns)", run_wake);

} // namespace
} // namespace herd::bench
