// Example: bounded concurrency. map() with a limit, map_iter() streaming
// results in order, submit() through a shared capacity_limiter whose total
// changes at run time, a token-bucket rate_limiter, and the asynchronous
// primitives (semaphore permits, async_mutex, event, barrier, wait_group)
// in coroutines.

#include <herd/herd.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

namespace net = boost::asio;
using namespace std::chrono_literals;

int main()
{
  herd::async_executor ex(4);
  std::vector<int> ids(40);
  std::iota(ids.begin(), ids.end(), 1);

  // map: results in input order, at most 3 items in flight.
  std::atomic<int> in_flight{0}, peak{0};
  auto fetch = [&](int id)
  {
    int now = ++in_flight;
    for (int p = peak; now > p && !peak.compare_exchange_weak(p, now);)
    {
    }
    std::this_thread::sleep_for(1ms);
    --in_flight;
    return "user-" + std::to_string(id);
  };
  std::vector<std::string> users = ex.map({.limit = 3}, fetch, ids);
  const int map_peak = peak.load();
  std::printf("map: %zu results, first %s, last %s, peak concurrency %d (limit 3)\n", users.size(),
              users.front().c_str(), users.back().c_str(), map_peak);

  // Several ranges are zipped, like Python's map(f, a, b).
  std::vector<std::string> names{"ada", "bob", "cyd"};
  auto tagged = ex.map([](int id, const std::string& n) { return n + "#" + std::to_string(id); }, ids, names);
  std::printf("zipped map: %s %s %s\n", tagged[0].c_str(), tagged[1].c_str(), tagged[2].c_str());

  // map_iter: consume in order while later items run; leaving early cancels the rest.
  int seen = 0;
  for (const std::string& u : ex.map_iter(fetch, ids, {.limit = 4}))
  {
    if (++seen == 5)
    {
      std::printf("map_iter: stopped after %s; the rest is cancelled\n", u.c_str());
      break;
    }
  }

  // A capacity_limiter shared by independent submits; raised while in use.
  herd::capacity_limiter db_slots(ex.get_executor(), 1);
  std::vector<herd::future<int>> queries;
  for (int i = 0; i < 8; ++i)
    queries.push_back(ex.submit(herd::submit_options{.limiter = &db_slots},
                                [i]
                                {
                                  std::this_thread::sleep_for(2ms);
                                  return i;
                                }));
  db_slots.set_total(4); // takes effect at once: three more queries start
  int sum = 0;
  for (auto& q : queries)
    sum += q.get();
  std::printf("capacity_limiter: 8 queries done (sum %d), borrowed now %zu of %zu\n", sum, db_slots.borrowed(),
              db_slots.total());

  // The asynchronous primitives in coroutines on one io_context.
  net::io_context ctx;
  herd::rate_limiter api_rate(ctx.get_executor(), 100, 1s, 5); // 100/s, bursts of 5
  herd::semaphore sem(ctx.get_executor(), 2);
  herd::async_mutex log_mutex(ctx.get_executor());
  herd::event go(ctx.get_executor());
  herd::barrier line_up(ctx.get_executor(), 3);
  herd::wait_group workers(ctx.get_executor());
  std::vector<std::string> log;

  workers.add(3);
  for (int w = 0; w < 3; ++w)
    net::co_spawn(
        ctx,
        [&, w]() -> net::awaitable<void>
        {
          co_await go.async_wait(net::use_awaitable);
          std::size_t index = co_await line_up.async_arrive_and_wait(net::use_awaitable);
          for (int call = 0; call < 4; ++call)
          {
            co_await api_rate.async_acquire(net::use_awaitable);
            auto permit = co_await sem.async_acquire_permit(net::use_awaitable);
            auto guard = co_await log_mutex.async_lock_guard(net::use_awaitable);
            log.push_back("worker " + std::to_string(w) + " (arrived " + std::to_string(index) + ") call " +
                          std::to_string(call));
          }
          workers.done();
        },
        net::detached);
  net::co_spawn(
      ctx,
      [&]() -> net::awaitable<void>
      {
        go.set();
        const auto t0 = std::chrono::steady_clock::now();
        co_await workers.async_wait(net::use_awaitable);
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        std::printf("primitives: %zu rate-limited calls in %.0f ms (burst 5, then 100/s)\n", log.size(), ms);
      },
      net::detached);
  ctx.run();
  return log.size() == 12 && map_peak <= 3 ? 0 : 1;
}
