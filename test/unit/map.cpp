// Tests of async_executor's bounded work: submit(submit_options, ...), map,
// map_iter and async_map. Timed behaviour runs on a manual clock installed
// on the pool (async_executor(threads, clock)).
#include "test_support.hpp"

#include <herd/async_executor.hpp>
#include <herd/sync/capacity_limiter.hpp>
#include <herd/sync/semaphore.hpp>
#include <herd/testing/manual_clock.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <latch>
#include <list>
#include <numeric>

namespace net = boost::asio;
namespace bdata = boost::unit_test::data;
using namespace std::chrono_literals;
using herd::test::check_balanced;

namespace map_test
{

// Counts how many calls are inside a section at once, and the peak.
struct concurrency
{
  std::atomic<int> now{0}, peak{0};
  void enter()
  {
    const int n = ++now;
    int p = peak.load();
    while (n > p && !peak.compare_exchange_weak(p, n))
    {
    }
  }
  void leave() { --now; }
};

std::vector<int> iota_vector(int n)
{
  std::vector<int> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

// Waits d on the clock of the coroutine's executor (the pool's manual clock).
net::awaitable<void> sleep_on_clock(herd::duration d)
{
  herd::timer t(co_await net::this_coro::executor);
  t.expires_after(d);
  co_await t.async_wait(net::use_awaitable);
}

} // namespace map_test

using map_test::concurrency;
using map_test::iota_vector;
using map_test::sleep_on_clock;

BOOST_AUTO_TEST_SUITE(submit_options)

BOOST_AUTO_TEST_CASE(invalid_options_are_named)
{
  herd::async_executor ex(1);
  try
  {
    ex.submit(herd::submit_options{.timeout = -1s}, [] { return 1; });
    BOOST_FAIL("negative timeout accepted");
  }
  catch (const std::invalid_argument& e)
  {
    BOOST_TEST(std::string(e.what()).find("timeout") != std::string::npos);
  }
  BOOST_CHECK_THROW(ex.submit(herd::submit_options{.retry = {.max_attempts = 0}}, [] { return 1; }),
                    std::invalid_argument);
  check_balanced(ex.stats());
}

BOOST_DATA_TEST_CASE(limiter_bounds_concurrency, bdata::make({1, 2, 4}), threads)
{
  herd::async_executor ex(threads);
  herd::semaphore sem(ex.get_executor(), 2);
  concurrency c;
  std::vector<herd::future<int>> fs;
  for (int i = 0; i < 64; ++i)
    fs.push_back(ex.submit(herd::submit_options{.limiter = &sem},
                           [&c, i]
                           {
                             c.enter();
                             std::this_thread::yield();
                             c.leave();
                             return i;
                           }));
  for (int i = 0; i < 64; ++i)
    BOOST_TEST(fs[i].get() == i);
  BOOST_TEST(c.peak.load() <= 2);
  ex.shutdown();
  BOOST_TEST(sem.available() == 2u);
  check_balanced(ex.stats());
}

BOOST_AUTO_TEST_CASE(waiting_for_a_permit_holds_no_thread)
{
  herd::async_executor ex(1);
  herd::semaphore sem(ex.get_executor(), 0);
  auto blocked = ex.submit(herd::submit_options{.limiter = &sem}, [] { return 1; });
  // The only thread is free: a plain task runs while the first one waits.
  auto other = ex.submit([] { return 2; });
  BOOST_TEST(other.get() == 2);
  BOOST_TEST(!blocked.done());
  BOOST_TEST(sem.waiting() == 1u);
  sem.release();
  BOOST_TEST(blocked.get() == 1);
  ex.shutdown();
  BOOST_TEST(sem.available() == 1u);
}

BOOST_AUTO_TEST_CASE(cancel_while_waiting_for_a_permit)
{
  herd::async_executor ex(2);
  herd::semaphore sem(ex.get_executor(), 0);
  std::atomic<bool> ran{false};
  auto f = ex.submit(herd::submit_options{.limiter = &sem}, [&] { ran = true; });
  BOOST_TEST(f.cancel());
  f.wait();
  ex.shutdown(); // see rejected_failure_and_last_failure
  BOOST_CHECK_THROW(f.get(), herd::cancelled_error);
  BOOST_TEST((f.state() == herd::task_state::cancelled));
  BOOST_TEST(!ran.load());
  BOOST_TEST(sem.waiting() == 0u); // the wait left the queue
  sem.release();
  BOOST_TEST(sem.available() == 1u);
}

// Each attempt takes the semaphore anew; the backoff waits outside it and
// holds no thread. Attempt times are exact in virtual time.
BOOST_AUTO_TEST_CASE(retry_takes_the_permit_anew_and_backs_off_outside_it)
{
  herd::testing::manual_clock clock;
  herd::async_executor ex(1, clock);
  BOOST_TEST(&ex.get_clock() == &clock);
  herd::semaphore sem(ex.get_executor(), 1);
  std::mutex m;
  std::vector<double> at;
  std::vector<std::size_t> available_during; // Boost.Test asserts only on the main thread
  auto t0 = clock.now();
  auto f = ex.submit(herd::submit_options{.limiter = &sem, .retry = herd::retry_policy::exponential(3, 10s)},
                     [&]
                     {
                       std::lock_guard lk(m);
                       at.push_back(std::chrono::duration<double>(clock.now() - t0).count());
                       available_during.push_back(sem.available());
                       if (at.size() < 3)
                         throw std::runtime_error("attempt " + std::to_string(at.size()));
                       return 5;
                     });
  for (int backoff = 0; backoff < 2; ++backoff)
  {
    BOOST_TEST(clock.wait_pending(1));
    // In the backoff: the permit is back and the only thread is free.
    BOOST_TEST(sem.available() == 1u);
    BOOST_TEST(ex.submit([] { return 1; }).get() == 1);
    clock.advance(*clock.next_deadline() - clock.now());
  }
  BOOST_TEST(f.get() == 5);
  ex.shutdown();
  BOOST_TEST(at == (std::vector<double>{0, 10, 30}));
  BOOST_TEST(available_during == (std::vector<std::size_t>{0, 0, 0})); // each attempt held the permit
  BOOST_TEST(sem.available() == 1u);
  check_balanced(ex.stats());
}

BOOST_AUTO_TEST_CASE(rejected_failure_and_last_failure)
{
  herd::async_executor ex(2);
  std::atomic<int> attempts{0};
  auto p = herd::retry_policy::fixed(4, 0ms);
  p.retry_if = herd::retry_on<std::range_error>();
  auto rejected = ex.submit(herd::submit_options{.retry = p},
                            [&]() -> int
                            {
                              ++attempts;
                              throw herd::test::test_error(1);
                            });
  BOOST_CHECK_THROW(rejected.get(), herd::test::test_error);
  BOOST_TEST(attempts.load() == 1);
  attempts = 0;
  auto last = ex.submit(herd::submit_options{.retry = p},
                        [&]() -> int { throw std::range_error("attempt " + std::to_string(++attempts)); });
  try
  {
    last.get();
    BOOST_FAIL("no exception");
  }
  catch (const std::range_error& e)
  {
    BOOST_TEST(std::string(e.what()) == "attempt 4");
  }
  check_balanced(ex.stats());
}

BOOST_AUTO_TEST_CASE(timeout_fails_the_attempt_and_asks_it_to_stop)
{
  herd::testing::manual_clock clock;
  herd::async_executor ex(2, clock);
  std::atomic<bool> stop_seen{false};
  std::latch started(1);
  auto f = ex.submit(herd::submit_options{.timeout = 5s},
                     [&](std::stop_token st)
                     {
                       started.count_down();
                       while (!st.stop_requested())
                         std::this_thread::yield();
                       stop_seen = true;
                       return 1;
                     });
  started.wait();
  BOOST_TEST(clock.wait_pending(1));
  clock.advance(5s);
  f.wait();
  ex.shutdown(); // see rejected_failure_and_last_failure
  BOOST_CHECK_THROW(f.get(), herd::timeout_error);
  BOOST_TEST(stop_seen.load());
  check_balanced(ex.stats());
}

BOOST_AUTO_TEST_CASE(shutdown_cancels_a_task_in_backoff)
{
  herd::testing::manual_clock clock;
  herd::async_executor ex(1, clock);
  auto f = ex.submit(herd::submit_options{.retry = herd::retry_policy::fixed(3, 1h)},
                     []() -> int { throw std::runtime_error("down"); });
  BOOST_TEST(clock.wait_pending(1));
  ex.shutdown(true, true);
  BOOST_CHECK_THROW(f.get(), herd::shutdown_error);
  BOOST_TEST((f.state() == herd::task_state::cancelled));
  check_balanced(ex.stats());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(map)

BOOST_DATA_TEST_CASE(results_in_input_order, bdata::make({1, 2, 4}), threads)
{
  herd::async_executor ex(threads);
  const auto v = iota_vector(1000);
  const std::vector<int> r = ex.map([](int x) { return x * 3; }, v);
  BOOST_TEST(r.size() == 1000u);
  for (int i = 0; i < 1000; ++i)
    BOOST_TEST(r[i] == 3 * i);
  // Zipped ranges: the shortest ends it; a list is fine (not random access).
  std::list<std::string> names{"a", "b", "c"};
  const auto z = ex.map(
      {.limit = 2}, [](int x, const std::string& s) { return s + std::to_string(x); }, v, names);
  BOOST_TEST(z == (std::vector<std::string>{"a0", "b1", "c2"}));
  const auto empty = ex.map([](int x) { return x; }, std::vector<int>{});
  BOOST_TEST(empty.empty());
  ex.shutdown();
  check_balanced(ex.stats());
}

BOOST_DATA_TEST_CASE(limit_bounds_plain_items, bdata::make({1, 3}), limit)
{
  herd::async_executor ex(4);
  concurrency c;
  const auto r = ex.map(
      {.limit = std::size_t(limit)},
      [&](int x)
      {
        c.enter();
        std::this_thread::yield();
        c.leave();
        return x;
      },
      iota_vector(200));
  BOOST_TEST(r.size() == 200u);
  BOOST_TEST(c.peak.load() <= limit);
}

// Coroutine items wait on virtual timers: exactly `limit` are in flight,
// more than the pool has threads.
BOOST_AUTO_TEST_CASE(limit_bounds_coroutine_items_beyond_the_pool_width)
{
  herd::testing::manual_clock clock;
  herd::async_executor ex(2, clock);
  const std::size_t limit = 16;
  auto fut = ex.async_map(
      [](int x) -> net::awaitable<int>
      {
        co_await sleep_on_clock(1s);
        co_return x + 1;
      },
      iota_vector(40), {.limit = limit}, net::use_future);
  for (int round = 0; round < 3; ++round)
  {
    const std::size_t expect = round < 2 ? limit : 40 - 2 * limit;
    BOOST_TEST(clock.wait_pending(expect));
    BOOST_TEST(clock.pending() == expect); // never more than the limit
    clock.advance(1s);
  }
  const auto r = fut.get();
  BOOST_TEST(r.size() == 40u);
  BOOST_TEST(r[39] == 40);
  ex.shutdown();
  check_balanced(ex.stats());
}

// Item 60 fails first, item 30 later: item 30's failure is raised (input
// order); items after 60 still waiting are cancelled.
BOOST_AUTO_TEST_CASE(first_failure_in_input_order_and_the_rest_cancelled)
{
  herd::testing::manual_clock clock;
  herd::async_executor ex(2, clock);
  auto fut = ex.async_map(
      [](int x) -> net::awaitable<int>
      {
        co_await sleep_on_clock(x == 60 ? 1s : x == 30 ? 2s : x > 60 ? 1h : 0s);
        if (x == 30 || x == 60)
          throw herd::test::test_error(x);
        co_return x;
      },
      iota_vector(100), {.limit = 100}, net::use_future);
  BOOST_TEST(clock.wait_pending(41)); // 30, 60 and 61..99
  clock.advance(1s);
  BOOST_TEST(clock.wait_pending(1)); // item 30 still runs; 61..99 were cancelled
  clock.advance(1s);
  fut.wait();
  ex.shutdown(); // see rejected_failure_and_last_failure
  try
  {
    fut.get();
    BOOST_FAIL("no failure");
  }
  catch (const herd::test::test_error& e)
  {
    BOOST_TEST(e.code == 30);
  }
  const auto s = ex.stats();
  BOOST_TEST(s.cancelled == 39u);
  BOOST_TEST(s.failed == 2u);
  check_balanced(s);
}

BOOST_AUTO_TEST_CASE(blocking_map_raises_the_first_failure_in_input_order)
{
  herd::async_executor ex(2);
  std::atomic<int> started_after{0};
  try
  {
    ex.map(
        {.limit = 1},
        [&](int x)
        {
          if (x > 10)
            ++started_after;
          if (x == 10)
            throw herd::test::test_error(x);
          return x;
        },
        iota_vector(100));
    BOOST_FAIL("no failure");
  }
  catch (const herd::test::test_error& e)
  {
    BOOST_TEST(e.code == 10);
  }
  BOOST_TEST(started_after.load() == 0); // nothing after the failure started
}

// map_iter zips several ranges like map (DESIGN, executor members): f(a[i],
// b[i]) in input order until the shortest range ends; options come first.
BOOST_AUTO_TEST_CASE(map_iter_reads_several_ranges_in_step)
{
  herd::async_executor ex(2);
  std::vector<int> a{1, 2, 3, 4};
  std::vector<int> b{10, 20, 30};
  std::vector<int> got;
  for (int x : ex.map_iter([](int x, int y) { return x * y; }, a, b))
    got.push_back(x);
  BOOST_TEST(got == (std::vector<int>{10, 40, 90}), boost::test_tools::per_element());
  got.clear();
  for (int x : ex.map_iter({.limit = 1}, [](int x, int y, int z) { return x + y + z; }, a, b, std::vector{100, 200}))
    got.push_back(x);
  BOOST_TEST(got == (std::vector<int>{111, 222}), boost::test_tools::per_element());
  got.clear();
  for (int x : ex.map_iter({.limit = 2}, [](int x) { return -x; }, a))
    got.push_back(x);
  BOOST_TEST(got == (std::vector<int>{-1, -2, -3, -4}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(map_iter_yields_in_order_and_holds_at_most_limit)
{
  herd::testing::manual_clock clock;
  herd::async_executor ex(2, clock);
  std::atomic<int> launched{0};
  auto results = ex.map_iter(
      [&](int x) -> net::awaitable<int>
      {
        ++launched;
        herd::timer t(co_await net::this_coro::executor);
        t.expires_after(std::chrono::seconds(10 - x % 10)); // later items finish first
        co_await t.async_wait(net::use_awaitable);
        co_return x;
      },
      iota_vector(30), {.limit = 4});
  BOOST_TEST(clock.wait_pending(4));
  clock.advance(10s); // all four done, none consumed yet: nothing more starts
  BOOST_TEST(launched.load() == 4);
  int expect = 0;
  for (int x : results)
  {
    BOOST_TEST(x == expect);
    BOOST_TEST(launched.load() <= expect + 1 + 4);
    if (++expect == 30)
      break;
    if (clock.pending() > 0 || launched.load() < 30)
    {
      // Let the pool launch the next item and advance past its timer.
      clock.wait_pending(1, 100ms);
      clock.advance(10s);
    }
  }
  BOOST_TEST(expect == 30);
}

BOOST_AUTO_TEST_CASE(leaving_map_iter_early_cancels_the_rest)
{
  herd::testing::manual_clock clock;
  herd::async_executor ex(2, clock);
  {
    auto results = ex.map_iter(
        [](int x) -> net::awaitable<int>
        {
          co_await sleep_on_clock(x == 0 ? 0s : 1h);
          co_return x;
        },
        iota_vector(100), {.limit = 8});
    for (int x : results)
    {
      BOOST_TEST(x == 0);
      break;
    }
  }
  ex.shutdown(); // returns: nothing left waiting on the clock
  const auto s = ex.stats();
  BOOST_TEST(s.submitted <= 9u);
  BOOST_TEST(s.cancelled >= 7u);
  check_balanced(s);
}

BOOST_AUTO_TEST_CASE(map_iter_raises_when_the_failed_item_is_reached)
{
  herd::async_executor ex(2);
  std::vector<int> seen;
  std::exception_ptr error;
  try
  {
    for (int x : ex.map_iter(
             [](int x)
             {
               if (x == 5)
                 throw herd::test::test_error(5);
               return x;
             },
             iota_vector(20), {.limit = 3}))
      seen.push_back(x);
  }
  catch (...)
  {
    error = std::current_exception();
  }
  ex.shutdown(); // see rejected_failure_and_last_failure
  try
  {
    std::rethrow_exception(error);
  }
  catch (const herd::test::test_error& e)
  {
    BOOST_TEST(e.code == 5);
  }
  BOOST_TEST(seen == (std::vector<int>{0, 1, 2, 3, 4}));
  check_balanced(ex.stats());
}

BOOST_AUTO_TEST_CASE(async_map_cancellation)
{
  herd::testing::manual_clock clock;
  herd::async_executor ex(2, clock);
  net::cancellation_signal sig;
  std::promise<std::exception_ptr> done;
  net::io_context ctx;
  ex.async_map(
      [](int x) -> net::awaitable<int>
      {
        co_await sleep_on_clock(1h);
        co_return x;
      },
      iota_vector(10), {.limit = 10},
      net::bind_cancellation_slot(sig.slot(), net::bind_executor(ctx,
                                                                 [&](std::exception_ptr e, std::vector<int> v)
                                                                 {
                                                                   BOOST_TEST(v.empty());
                                                                   done.set_value(e);
                                                                 })));
  BOOST_TEST(clock.wait_pending(10));
  net::post(ctx, [&] { sig.emit(net::cancellation_type::terminal); });
  ctx.run();
  auto e = done.get_future().get();
  ex.shutdown(); // see rejected_failure_and_last_failure
  BOOST_CHECK_THROW(std::rethrow_exception(e), herd::cancelled_error);
  BOOST_TEST(ex.stats().cancelled == 10u);
  check_balanced(ex.stats());
}

BOOST_AUTO_TEST_CASE(retry_and_timeout_per_item_and_progress)
{
  herd::async_executor ex(2);
  std::mutex m;
  std::map<int, int> attempts;
  std::vector<std::pair<std::size_t, std::size_t>> calls;
  const auto r = ex.map(
      {.limit = 4,
       .retry = herd::retry_policy::fixed(3, 0ms),
       .progress = [&](std::size_t done, std::size_t total, std::chrono::duration<double>)
       { calls.emplace_back(done, total); }},
      [&](int x)
      {
        std::lock_guard lk(m);
        if (++attempts[x] < 2 && x % 2 == 0)
          throw std::runtime_error("flaky");
        return x;
      },
      iota_vector(20));
  BOOST_TEST(r == iota_vector(20));
  BOOST_TEST(attempts[0] == 2);
  BOOST_TEST(attempts[1] == 1);
  BOOST_REQUIRE(!calls.empty());
  BOOST_TEST(calls.back().first == 20u);
  BOOST_TEST(calls.back().second == 20u);
}

BOOST_AUTO_TEST_CASE(map_on_an_own_thread_throws_logic_error)
{
  herd::async_executor ex(2);
  auto f = ex.submit([&] { return ex.map([](int x) { return x; }, iota_vector(3)).size(); });
  f.wait();
  ex.shutdown(); // see rejected_failure_and_last_failure
  BOOST_CHECK_THROW(f.get(), std::logic_error);
}

BOOST_AUTO_TEST_SUITE_END()
