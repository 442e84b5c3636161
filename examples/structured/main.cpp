// Example: structured concurrency. A task group whose first failure cancels
// the siblings, cancel scopes with deadlines, move_on_after, a shielded
// clean-up, checkpoint() in a long computation, and the bridges between
// threads and coroutines: run_sync and to_thread.

#include <herd/herd.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace net = boost::asio;
using namespace std::chrono_literals;

net::awaitable<void> sleep_for(std::chrono::milliseconds d)
{
  net::steady_timer t(co_await net::this_coro::executor, d);
  co_await t.async_wait(net::use_awaitable);
}

net::awaitable<std::string> fetch(std::string name, std::chrono::milliseconds latency, bool fail = false)
{
  co_await sleep_for(latency);
  if (fail)
    throw std::runtime_error(name + " is down");
  co_return name + ": ok";
}

net::awaitable<int> main_coroutine()
{
  auto ex = co_await net::this_coro::executor;
  int status = 0;

  // 1. A task group: the children run concurrently, the group waits for all.
  auto summary = co_await herd::with_task_group(
      ex,
      [](herd::task_group& g) -> net::awaitable<std::string>
      {
        auto a = g.spawn(fetch("users", 20ms));
        auto b = g.spawn(fetch("orders", 10ms));
        std::string r = co_await a.async_wait(net::use_awaitable);
        r += ", " + co_await b.async_wait(net::use_awaitable);
        co_return r;
      },
      net::use_awaitable);
  std::printf("task_group: %s\n", summary.c_str());

  // 2. The first failure cancels the siblings and is rethrown after they finish.
  try
  {
    co_await herd::with_task_group(
        ex,
        [](herd::task_group& g) -> net::awaitable<void>
        {
          g.spawn(fetch("payments", 5ms, true));
          g.spawn(
              []() -> net::awaitable<void>
              {
                try
                {
                  co_await sleep_for(10s);
                }
                catch (const boost::system::system_error&)
                {
                  std::printf("task_group: the slow sibling was cancelled\n");
                }
                // Clean-up that must run to its end, even though we were cancelled.
                co_await net::this_coro::throw_if_cancelled(false);
                net::steady_timer t(co_await net::this_coro::executor, 5ms);
                co_await herd::shield(t.async_wait(net::deferred));
                std::printf("task_group: ...and finished its clean-up first\n");
              }());
          co_return;
        },
        net::use_awaitable);
    status = 1;
  }
  catch (const std::runtime_error& e)
  {
    std::printf("task_group: failed with \"%s\"\n", e.what());
  }

  // 3. A cancel scope with a deadline really cancels what runs in it.
  herd::cancel_scope scope(20ms);
  net::steady_timer never(ex, 1h);
  auto [ec] = co_await scope.run(never.async_wait(net::deferred), net::as_tuple(net::use_awaitable));
  std::printf("cancel_scope: %s, cancel_called = %s\n", ec.message().c_str(), scope.cancel_called() ? "true" : "false");

  // 4. move_on_after: an empty result instead of an error.
  auto [e2, value] = co_await herd::move_on_after(10ms, fetch("search", 1s), net::as_tuple(net::use_awaitable));
  std::printf("move_on_after: %s\n", value ? value->c_str() : "(gave up after 10 ms)");

  // 5. checkpoint(): a long computation that stops promptly when cancelled.
  long long steps = 0;
  herd::cancel_scope compute(15ms);
  co_await compute.run(
      [](long long& steps) -> net::awaitable<void>
      {
        for (;;)
        {
          for (int i = 0; i < 1000; ++i)
            ++steps;
          co_await herd::checkpoint();
        }
      }(steps),
      net::as_tuple(net::use_awaitable));
  std::printf("checkpoint: computation stopped after %lld steps\n", steps);

  // 6. to_thread: blocking code off the event loop, resuming here.
  const int hashed = co_await herd::to_thread(
      []
      {
        std::this_thread::sleep_for(5ms); // stands for blocking I/O or a C library call
        return 42;
      },
      net::use_awaitable);
  std::printf("to_thread: %d\n", hashed);
  co_return status;
}

int main()
{
  // run_sync: a plain thread waits for a coroutine's result.
  net::thread_pool pool(2);
  const int status = herd::run_sync(pool.get_executor(), main_coroutine());
  pool.join();
  std::printf("task groups leave no children behind: %zu alive\n", herd::task_group::live_children());
  return status == 0 && herd::task_group::live_children() == 0 ? 0 : 1;
}
