// Example: the asynchronous wait strategies in a coroutine, mixing herd
// futures with plain Asio operations (a steady_timer here; a socket read
// works the same way). async_gather over futures and an Asio operation,
// race as a deadline, first_success over Asio operations, async_wait with
// first_completed, a dictionary gather and a progress callback.

#include <herd/herd.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace net = boost::asio;
using namespace std::chrono_literals;

net::awaitable<int> tour(herd::async_executor& pool)
{
  auto ex = co_await net::this_coro::executor;
  auto slow_square = [](int n)
  {
    std::this_thread::sleep_for(2ms);
    return n * n;
  };

  // 1. Futures and an Asio operation in one gather: a tuple of their values
  //    (the timer gives std::monostate). The gather starts the timer itself.
  auto a = pool.submit(slow_square, 3);
  auto b = pool.submit([] { return std::string("hello"); });
  net::steady_timer pause(ex, 5ms);
  // (Operations and futures are named before the co_await: g++ 12 may destroy
  // a temporary with a destructor in a co_await expression twice.)
  auto pause_op = pause.async_wait(net::deferred);
  auto [nine, hello, waited] = co_await herd::async_gather(a, b, std::move(pause_op), net::use_awaitable);
  (void)waited;
  std::printf("gather: %d %s (and the timer)\n", nine, hello.c_str());

  // 2. race as a deadline: a slow task against a timer. The timer wins, the
  //    task gets a cancellation request; had the task won, the timer would
  //    have been cancelled and awaited before the race completed.
  herd::promise<int> never;
  net::steady_timer deadline(ex, 10ms);
  auto task = never.get_future();
  auto deadline_op = deadline.async_wait(net::deferred);
  std::variant<int, std::monostate> winner = co_await herd::race(task, std::move(deadline_op), net::use_awaitable);
  std::printf("race: %s won\n", winner.index() == 1 ? "the deadline" : "the task");

  // 3. first_success over Asio operations of one type: the first success wins.
  std::vector<net::steady_timer> timers;
  for (int i = 0; i < 3; ++i)
    timers.emplace_back(ex, std::chrono::milliseconds(3 + 3 * i));
  std::vector<decltype(timers[0].async_wait(net::deferred))> waits;
  for (auto& t : timers)
    waits.push_back(t.async_wait(net::deferred));
  co_await herd::first_success(std::move(waits), net::use_awaitable);
  std::printf("first_success: the first timer fired; the others were cancelled and awaited\n");

  // 4. async_wait: back at the first completion, nothing cancelled.
  herd::promise<int> later;
  std::vector<herd::future<int>> fs{later.get_future(), pool.submit(slow_square, 4)};
  herd::wait_options first;
  first.when = herd::return_when::first_completed;
  auto [done, not_done] = co_await herd::async_wait(fs, first, net::use_awaitable);
  std::printf("async_wait: %zu done, %zu pending\n", done.size(), not_done.size());
  later.set_value(0);

  // 5. A dictionary gather with a progress callback.
  std::map<std::string, herd::future<int>> by_name;
  for (int i = 1; i <= 5; ++i)
    by_name.emplace("n" + std::to_string(i), pool.submit(slow_square, i));
  herd::gather_options options;
  options.progress = [](std::size_t n, std::size_t total, std::chrono::duration<double>)
  { std::printf("  progress %zu/%zu\n", n, total); };
  std::map<std::string, int> squares = co_await herd::async_gather(by_name, options, net::use_awaitable);
  std::printf("by name: n5=%d\n", squares["n5"]);
  co_return nine + squares["n5"];
}

int main()
{
  herd::async_executor pool(2);
  net::io_context ctx;
  auto result = net::co_spawn(ctx, tour(pool), net::use_future);
  ctx.run();
  return result.get() == 34 ? 0 : 1;
}
