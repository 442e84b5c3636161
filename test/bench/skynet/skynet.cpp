// Scenario "skynet": the skynet benchmark (a tree of depth 6, 10 children a
// node: 1,111,111 tasks, the leaves numbered 0..999,999, the sum
// 499,999,500,000). herd: one task group, every node spawns its ten
// children into it and awaits their handles. Raw: co_spawn of every node on
// the pool, a node resumed by the last of its children through a counter.
// oneTBB task_group when installed. Reported as core-ns per task (wall time x threads / tasks).
#include "../bench.hpp"

#include <herd/herd.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(HERD_BENCH_HAVE_TBB)
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>
#endif

namespace herd::bench {
namespace {

namespace net = boost::asio;

constexpr long long tree_size = 1'000'000; // leaves
constexpr long long expected_sum = 499'999'500'000LL;
constexpr double tasks = 1'111'111.0;

net::awaitable<long long> herd_node(herd::task_group& g, long long num, long long size)
{
  if (size == 1)
    co_return num;
  const long long child = size / 10;
  std::vector<herd::task_handle<long long>> hs;
  hs.reserve(10);
  for (int i = 0; i < 10; ++i)
    hs.push_back(g.spawn(herd_node(g, num + i * child, child)));
  long long sum = 0;
  for (auto& h : hs)
    sum += co_await h.async_wait(net::use_awaitable);
  co_return sum;
}

// A node's join: its ten children add to sum; the last resumes the node.
struct raw_join
{
  std::mutex m;
  int remaining = 10;
  long long sum = 0;
  std::function<void()> resume;
};

net::awaitable<long long> raw_node(long long num, long long size)
{
  if (size == 1)
    co_return num;
  const long long child = size / 10;
  auto ex = co_await net::this_coro::executor;
  auto j = std::make_shared<raw_join>();
  co_await net::async_initiate<const net::use_awaitable_t<>, void()>(
      [&](auto handler)
      {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        j->resume = [h] { (*h)(); };
        for (int i = 0; i < 10; ++i)
          net::co_spawn(ex, raw_node(num + i * child, child),
                        [j](std::exception_ptr, long long v)
                        {
                          std::function<void()> resume;
                          {
                            std::lock_guard lk(j->m);
                            j->sum += v;
                            if (--j->remaining == 0)
                              resume = std::move(j->resume);
                          }
                          if (resume)
                            resume();
                        });
      },
      net::use_awaitable);
  co_return j->sum;
}

#if defined(HERD_BENCH_HAVE_TBB)
long long tbb_node(long long num, long long size)
{
  if (size == 1)
    return num;
  const long long child = size / 10;
  long long sums[10];
  tbb::task_group tg;
  for (int i = 0; i < 10; ++i)
    tg.run([&, i] { sums[i] = tbb_node(num + i * child, child); });
  tg.wait();
  long long sum = 0;
  for (long long s : sums)
    sum += s;
  return sum;
}
#endif

std::vector<result> run_skynet(const options& o)
{
  net::thread_pool pool(o.threads);
  const std::string param = "depth 6, 1111111 tasks, threads=" + std::to_string(o.threads);
  auto check = [](long long sum, const char* who)
  {
    if (sum != expected_sum)
      throw std::runtime_error(std::string("skynet: wrong sum from ") + who);
  };

  auto herd_skynet = [&]
  {
    std::promise<long long> done;
    herd::with_task_group(
        pool.get_executor(), [](herd::task_group& g) -> net::awaitable<long long>
        { co_return co_await herd_node(g, 0, tree_size); },
        [&](std::exception_ptr e, long long v)
        {
          if (e)
            done.set_exception(e);
          else
            done.set_value(v);
        });
    check(done.get_future().get(), "herd");
  };
  auto raw_skynet = [&]
  {
    std::promise<long long> done;
    net::co_spawn(pool, raw_node(0, tree_size),
                  [&](std::exception_ptr e, long long v)
                  {
                    if (e)
                      done.set_exception(e);
                    else
                      done.set_value(v);
                  });
    check(done.get_future().get(), "raw co_spawn");
  };
  std::vector<std::function<void()>> variants{herd_skynet, raw_skynet};
#if defined(HERD_BENCH_HAVE_TBB)
  tbb::task_arena arena(static_cast<int>(o.threads));
  variants.push_back([&] { arena.execute([&] { check(tbb_node(0, tree_size), "tbb"); }); });
#endif
  // The tree has a fixed size: --scale only cuts repetitions.
  const auto ns = interleaved_median_ns(o.scale < 0.1 ? 1 : o.repeat, variants);
  pool.join();
  const double cores = static_cast<double>(o.threads);
  std::vector<result> out{{"herd task_group", param, ns[0] * cores / tasks},
                          {"raw co_spawn + counter", param, ns[1] * cores / tasks}};
#if defined(HERD_BENCH_HAVE_TBB)
  out.push_back({"oneTBB task_group", param, ns[2] * cores / tasks});
#endif
  return out;
}

const registrar reg("skynet", "skynet tree of 1,111,111 tasks (core-ns/task)", run_skynet);

} // namespace
} // namespace herd::bench
