// Tests for herd/async_executor.hpp.
#include "test_support.hpp"

#include <herd/async_executor.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <condition_variable>
#include <latch>
#include <memory>
#include <mutex>
#include <numeric>
#include <stop_token>
#include <thread>
#include <vector>

namespace net = boost::asio;
namespace bdata = boost::unit_test::data;
using herd::task_state;
using herd::test::check_balanced;
using herd::test::test_error;

namespace {

// Holds a pool thread until released, so that later tasks stay queued. The
// blocking task co-owns the gate's parts: it may still be returning from its
// wait when the test's gate goes out of scope.
struct gate
{
  struct parts
  {
    herd::promise<void> open_;
    herd::future<void> opened_ = open_.get_future();
    std::latch entered_{1};
  };
  std::shared_ptr<parts> p_ = std::make_shared<parts>();

  auto blocker()
  {
    return [p = p_]
    {
      p->entered_.count_down();
      p->opened_.wait();
    };
  }
  void wait_entered() { p_->entered_.wait(); }
  void open() { p_->open_.set_value(); }
};

// Waits until stop is requested, without spinning.
void wait_for_stop(std::stop_token st)
{
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock<std::mutex> lk(m);
  cv.wait(lk, st, [] { return false; });
}

} // namespace

BOOST_AUTO_TEST_SUITE(async_executor)

BOOST_AUTO_TEST_CASE(zero_threads_is_rejected_by_name)
{
  try
  {
    herd::async_executor ex(0);
    BOOST_FAIL("accepted 0 threads");
  }
  catch (const std::invalid_argument& e)
  {
    BOOST_TEST(std::string(e.what()).find("threads") != std::string::npos);
  }
  BOOST_CHECK_THROW(herd::async_executor{net::any_io_executor{}}, std::invalid_argument);
  herd::async_executor dflt;
  BOOST_TEST(dflt.thread_count() >= 1u);
}

BOOST_DATA_TEST_CASE(submit_runs_callables_with_arguments, bdata::make({1, 2, 4}), threads)
{
  herd::async_executor ex(threads);
  auto sum = ex.submit([](int a, int b) { return a + b; }, 2, 3);
  auto text = ex.submit([](std::string s) { return s + "!"; }, std::string("hi"));
  auto moved = ex.submit([](std::unique_ptr<int> p) { return p; }, std::make_unique<int>(9));
  std::atomic<int> side{0};
  auto nothing = ex.submit([&] { side = 1; });
  BOOST_TEST(sum.get() == 5);
  BOOST_TEST(text.get() == "hi!");
  BOOST_TEST(*moved.get() == 9);
  nothing.get();
  BOOST_TEST(side.load() == 1);
  ex.shutdown();
  auto s = ex.stats();
  BOOST_TEST(s.submitted == 4u);
  BOOST_TEST(s.completed == 4u);
  check_balanced(s);
}

BOOST_AUTO_TEST_CASE(task_exceptions_fail_the_future_intact)
{
  herd::async_executor ex(2);
  auto f = ex.submit([]() -> int { throw test_error(13); });
  try
  {
    f.get();
    BOOST_FAIL("no exception");
  }
  catch (const test_error& e)
  {
    BOOST_TEST(e.code == 13);
  }
  BOOST_TEST((f.state() == task_state::failed));
  // Through async_wait with use_future as well.
  BOOST_CHECK_THROW(f.async_wait(net::use_future).get(), test_error);
  ex.shutdown();
  BOOST_TEST(ex.stats().failed == 1u);
}

BOOST_AUTO_TEST_CASE(coroutine_tasks_run_on_the_pool)
{
  herd::async_executor ex(2);
  auto f = ex.submit(
      [](int base) -> net::awaitable<int>
      {
        net::steady_timer t(co_await net::this_coro::executor);
        co_await t.async_wait(net::use_awaitable); // expires at once
        co_return base * 3;
      },
      4);
  auto v = ex.submit([]() -> net::awaitable<void> { co_return; });
  auto bad = ex.submit([]() -> net::awaitable<int> { throw test_error(3); co_return 0; });
  auto move_only = ex.submit([]() -> net::awaitable<std::unique_ptr<int>> { co_return std::make_unique<int>(2); });
  BOOST_TEST(f.get() == 12);
  v.get();
  BOOST_CHECK_THROW(bad.get(), test_error);
  BOOST_TEST(*move_only.get() == 2);
}

BOOST_AUTO_TEST_CASE(cancelling_a_queued_task_means_it_never_runs, *boost::unit_test::timeout(60))
{
  herd::async_executor ex(1);
  gate g;
  auto blocker = ex.submit(g.blocker());
  g.wait_entered();
  std::atomic<bool> ran{false};
  auto victim = ex.submit([&] { ran = true; return 1; });
  BOOST_TEST((victim.state() == task_state::pending));
  BOOST_TEST(victim.cancel());
  BOOST_TEST((victim.state() == task_state::cancelled));
  BOOST_CHECK_THROW(victim.get(), herd::cancelled_error);
  g.open();
  blocker.get();
  ex.shutdown();
  BOOST_TEST(!ran.load());
  auto s = ex.stats();
  BOOST_TEST(s.cancelled == 1u);
  BOOST_TEST(s.completed == 1u);
  check_balanced(s);
}

BOOST_AUTO_TEST_CASE(cancel_reaches_running_stop_token_and_coroutine_tasks, *boost::unit_test::timeout(60))
{
  herd::async_executor ex(2);
  std::latch started(2);
  auto stoppable = ex.submit(
      [&](std::stop_token st)
      {
        started.count_down();
        wait_for_stop(st);
        throw herd::cancelled_error();
      });
  auto coro = ex.submit(
      [&]() -> net::awaitable<int>
      {
        net::steady_timer t(co_await net::this_coro::executor, std::chrono::hours(1));
        started.count_down();
        co_await t.async_wait(net::use_awaitable);
        co_return 1;
      });
  started.wait();
  // Both are running (or, for the coroutine, about to await): cancel them.
  BOOST_TEST(stoppable.cancel());
  BOOST_TEST(coro.cancel());
  stoppable.wait();
  coro.wait();
  BOOST_TEST((stoppable.state() == task_state::cancelled));
  BOOST_TEST((coro.state() == task_state::cancelled));
  ex.shutdown();
  BOOST_TEST(ex.stats().cancelled == 2u);
}

BOOST_AUTO_TEST_CASE(cancel_cannot_change_a_running_plain_task, *boost::unit_test::timeout(60))
{
  herd::async_executor ex(2);
  gate g;
  auto f = ex.submit(
      [&]
      {
        g.blocker()();
        return 5;
      });
  g.wait_entered();
  BOOST_TEST(!f.cancel());
  g.open();
  BOOST_TEST(f.get() == 5);
  BOOST_TEST((f.state() == task_state::completed));
}

BOOST_AUTO_TEST_CASE(async_submit_completes_once_on_the_associated_executor)
{
  herd::async_executor ex(2);
  net::io_context ctx;
  auto strand = net::make_strand(ctx);
  int calls = 0;
  bool on_strand = false;
  ex.async_submit([] { return 40; }, net::bind_executor(strand,
                                                        [&](std::exception_ptr e, int v)
                                                        {
                                                          ++calls;
                                                          on_strand = strand.running_in_this_thread();
                                                          BOOST_TEST(!e);
                                                          BOOST_TEST(v == 40);
                                                        }));
  BOOST_TEST(calls == 0);
  ex.shutdown(); // the task has run; its completion waits on ctx
  ctx.run();
  BOOST_TEST(calls == 1);
  BOOST_TEST(on_strand);
}

HERD_CO_TEST_CASE(async_submit_with_every_token)
{
  herd::async_executor ex(2);
  BOOST_TEST(co_await ex.async_submit([] { return 1; }, net::use_awaitable) == 1);
  BOOST_TEST(co_await ex.async_submit([] { return 2; })(net::use_awaitable) == 2); // deferred by default
  co_await ex.async_submit([] {}, net::use_awaitable);
  BOOST_TEST(ex.async_submit([] { return std::string("f"); }, net::use_future).get() == "f");
  // Exceptions intact through each token.
  BOOST_CHECK_THROW(co_await ex.async_submit([]() -> int { throw test_error(1); }, net::use_awaitable), test_error);
  BOOST_CHECK_THROW(ex.async_submit([] { throw test_error(2); }, net::use_future).get(), test_error);
  std::exception_ptr seen;
  int calls = 0;
  auto here = co_await net::this_coro::executor;
  ex.async_submit([]() -> int { throw test_error(3); }, net::deferred)(net::bind_executor(here,
                                                                                         [&](std::exception_ptr e, int)
                                                                                         {
                                                                                           seen = e;
                                                                                           ++calls;
                                                                                         }));
  while (calls == 0)
    co_await net::post(here, net::use_awaitable);
  BOOST_TEST(calls == 1);
  try
  {
    std::rethrow_exception(seen);
  }
  catch (const test_error& e)
  {
    BOOST_TEST(e.code == 3);
  }
  // Move-only and non-default-constructible results.
  auto p = co_await ex.async_submit([] { return std::make_unique<int>(5); }, net::use_awaitable);
  BOOST_TEST(*p == 5);
  struct nd
  {
    explicit nd(int x) : v(x) {}
    int v;
  };
  std::optional<nd> o = co_await ex.async_submit([] { return nd(8); }, net::use_awaitable);
  BOOST_TEST(o->v == 8);
}

BOOST_AUTO_TEST_CASE(async_submit_cancelled_before_start_never_runs, *boost::unit_test::timeout(60))
{
  herd::async_executor ex(1);
  gate g;
  auto blocker = ex.submit(g.blocker());
  g.wait_entered();
  net::io_context ctx;
  net::cancellation_signal signal;
  std::atomic<bool> ran{false};
  int calls = 0;
  std::exception_ptr seen;
  ex.async_submit([&] { ran = true; }, net::bind_cancellation_slot(signal.slot(), net::bind_executor(ctx,
                                                                                                     [&](std::exception_ptr e)
                                                                                                     {
                                                                                                       ++calls;
                                                                                                       seen = e;
                                                                                                     })));
  net::post(ctx, [&] { signal.emit(net::cancellation_type::terminal); });
  ctx.run(); // completes while the pool is still blocked
  BOOST_TEST(calls == 1);
  BOOST_CHECK_THROW(std::rethrow_exception(seen), herd::cancelled_error);
  g.open();
  ex.shutdown();
  BOOST_TEST(!ran.load());
  auto s = ex.stats();
  BOOST_TEST(s.cancelled == 1u);
  check_balanced(s);
}

BOOST_AUTO_TEST_CASE(submit_after_shutdown_throws_and_shutdown_is_idempotent)
{
  herd::async_executor ex(2);
  auto f = ex.submit([] { return 1; });
  ex.shutdown(false);
  BOOST_CHECK_THROW(ex.submit([] { return 2; }), herd::shutdown_error);
  BOOST_CHECK_THROW(ex.async_submit([] {}, net::use_future), herd::shutdown_error);
  ex.shutdown();
  ex.shutdown(true, true);
  BOOST_TEST(f.get() == 1);
  auto s = ex.stats();
  BOOST_TEST(s.submitted == 1u);
  check_balanced(s);
}

BOOST_AUTO_TEST_CASE(destructor_waits_for_every_accepted_task, *boost::unit_test::timeout(60))
{
  std::atomic<int> finished{0};
  std::vector<herd::future<void>> fs;
  {
    herd::async_executor ex(2);
    for (int i = 0; i < 1000; ++i)
      fs.push_back(ex.submit([&] { finished.fetch_add(1); }));
  }
  BOOST_TEST(finished.load() == 1000);
  for (auto& f : fs)
    BOOST_TEST((f.state() == task_state::completed));
}

BOOST_TEST_DECORATOR(*boost::unit_test::timeout(120))
BOOST_DATA_TEST_CASE(shutdown_cancelling_queued_tasks_loses_none, bdata::make({1, 2, 4}), threads)
{
  constexpr std::size_t n = 100000;
  herd::async_executor ex(threads);
  std::atomic<std::size_t> ran{0};
  std::vector<herd::future<std::size_t>> fs;
  fs.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    fs.push_back(ex.submit(
        [&ran, i]
        {
          ran.fetch_add(1, std::memory_order_relaxed);
          return i;
        }));
  ex.shutdown(false, true);
  std::size_t completed = 0, cancelled = 0;
  for (std::size_t i = 0; i < n; ++i)
  {
    fs[i].wait();
    if (fs[i].state() == task_state::completed)
    {
      BOOST_TEST(fs[i].get() == i);
      ++completed;
    }
    else
    {
      BOOST_TEST((fs[i].state() == task_state::cancelled));
      BOOST_CHECK_THROW(fs[i].get(), herd::shutdown_error);
      ++cancelled;
    }
  }
  BOOST_TEST(completed + cancelled == n);
  BOOST_TEST(completed == ran.load());
  ex.shutdown();
  auto s = ex.stats();
  BOOST_TEST(s.completed == completed);
  BOOST_TEST(s.cancelled == cancelled);
  check_balanced(s);
}

BOOST_AUTO_TEST_CASE(submits_racing_shutdown_are_refused_or_run, *boost::unit_test::timeout(120))
{
  // Each submit either throws shutdown_error or gives a task that runs:
  // a post racing the shutdown is never stranded in a stopped pool.
  for (int round = 0; round < 20; ++round)
  {
    herd::async_executor ex(2);
    std::atomic<std::size_t> ran{0};
    std::vector<std::vector<herd::future<void>>> accepted(4);
    std::latch go(5);
    std::vector<std::thread> producers;
    for (std::size_t p = 0; p < 4; ++p)
      producers.emplace_back(
          [&, p]
          {
            go.arrive_and_wait();
            try
            {
              for (;;)
                accepted[p].push_back(ex.submit([&] { ran.fetch_add(1, std::memory_order_relaxed); }));
            }
            catch (const herd::shutdown_error&)
            {
            }
          });
    go.arrive_and_wait();
    ex.shutdown(true);
    for (auto& t : producers)
      t.join();
    std::size_t total = 0;
    std::size_t not_done = 0;
    for (auto& fs : accepted)
      for (auto& f : fs)
      {
        ++total;
        not_done += f.state() != task_state::completed;
      }
    BOOST_TEST(not_done == 0u);
    BOOST_TEST(ran.load() == total);
    auto s = ex.stats();
    BOOST_TEST(s.submitted == total);
    check_balanced(s);
  }
}

BOOST_AUTO_TEST_CASE(shutdown_cancel_asks_running_tasks_to_stop, *boost::unit_test::timeout(60))
{
  herd::async_executor ex(2);
  std::latch started(1);
  auto f = ex.submit(
      [&](std::stop_token st)
      {
        started.count_down();
        wait_for_stop(st);
        throw herd::cancelled_error();
      });
  started.wait();
  ex.shutdown(true, true); // would hang if the request did not arrive
  BOOST_TEST((f.state() == task_state::cancelled));
}

BOOST_AUTO_TEST_CASE(million_submits_from_four_producers, *boost::unit_test::label("stress") *
                                                               boost::unit_test::timeout(600))
{
  constexpr std::size_t per_producer = 250000;
  herd::async_executor ex(4);
  std::vector<std::vector<herd::future<std::size_t>>> results(4);
  std::vector<std::thread> producers;
  for (std::size_t p = 0; p < 4; ++p)
    producers.emplace_back(
        [&, p]
        {
          auto& mine = results[p];
          mine.reserve(per_producer);
          for (std::size_t i = 0; i < per_producer; ++i)
            mine.push_back(ex.submit([](std::size_t x) { return x * 2; }, p * per_producer + i));
        });
  for (auto& t : producers)
    t.join();
  std::size_t wrong = 0;
  for (std::size_t p = 0; p < 4; ++p)
    for (std::size_t i = 0; i < per_producer; ++i)
      wrong += results[p][i].get() != (p * per_producer + i) * 2;
  BOOST_TEST(wrong == 0u);
  ex.shutdown();
  auto s = ex.stats();
  BOOST_TEST(s.submitted == 4 * per_producer);
  BOOST_TEST(s.completed == 4 * per_producer);
  check_balanced(s);
}

BOOST_AUTO_TEST_CASE(blocking_get_that_could_deadlock_throws, *boost::unit_test::timeout(60))
{
  {
    // One thread: a task waiting for a later task would wait forever.
    herd::async_executor ex(1);
    herd::promise<herd::future<int>> later;
    auto outer = ex.submit([f = later.get_future()] { return f.get().get(); });
    later.set_value(ex.submit([] { return 1; }));
    try
    {
      outer.get();
      BOOST_FAIL("no logic_error");
    }
    catch (const std::logic_error& e)
    {
      BOOST_TEST(std::string(e.what()).find("herd::future::get") != std::string::npos);
    }
  }
  {
    // Several threads: waiting for a task still queued behind the waiter is refused.
    herd::async_executor ex(2);
    gate g;
    auto blocker = ex.submit(g.blocker());
    g.wait_entered();
    herd::promise<herd::future<int>> later;
    std::latch waiter_started(1);
    auto waiter = ex.submit(
        [&, f = later.get_future()]
        {
          waiter_started.count_down();
          return f.get().get();
        });
    waiter_started.wait();
    // Both pool threads are busy, so this task is queued when the waiter looks.
    later.set_value(ex.submit([] { return 2; }));
    BOOST_CHECK_THROW(waiter.get(), std::logic_error);
    g.open();
    // A thread outside the pool may block.
    BOOST_TEST(later.get_future().get().get() == 2);
  }
  {
    // shutdown(wait) from a task would wait for itself.
    herd::async_executor ex(2);
    auto f = ex.submit([&] { ex.shutdown(true); });
    BOOST_CHECK_THROW(f.get(), std::logic_error);
  }
}

BOOST_AUTO_TEST_CASE(adopted_executor_runs_inside_an_io_context, *boost::unit_test::timeout(60))
{
  net::io_context ctx;
  auto guard = net::make_work_guard(ctx);
  std::thread runner([&] { ctx.run(); });
  std::thread::id runner_id = runner.get_id();
  {
    herd::async_executor ex(ctx.get_executor());
    BOOST_TEST(ex.thread_count() == 0u);
    auto f = ex.submit([] { return std::this_thread::get_id(); });
    BOOST_TEST((f.get() == runner_id));
    auto c = ex.submit([]() -> net::awaitable<int> { co_return 4; });
    BOOST_TEST(c.get() == 4);
    BOOST_TEST(ex.async_submit([] { return 3; }, net::use_future).get() == 3);
    // A task on the single io_context thread may not block on a queued task.
    auto nested = ex.submit([&] { return ex.submit([] { return 1; }).get(); });
    BOOST_CHECK_THROW(nested.get(), std::logic_error);
    ex.shutdown();
    check_balanced(ex.stats());
  }
  guard.reset();
  runner.join();
}

BOOST_AUTO_TEST_CASE(stats_count_every_outcome, *boost::unit_test::timeout(60))
{
  herd::async_executor ex(1);
  gate g;
  auto blocker = ex.submit(g.blocker());
  g.wait_entered();
  auto ok = ex.submit([] { return 1; });
  auto bad = ex.submit([] { throw test_error(1); });
  auto gone = ex.submit([] {});
  gone.cancel();
  auto s = ex.stats();
  BOOST_TEST(s.submitted == 4u);
  BOOST_TEST(s.running == 1u);
  BOOST_TEST(s.queued == 2u);
  BOOST_TEST(s.cancelled == 1u);
  g.open();
  ex.shutdown();
  s = ex.stats();
  BOOST_TEST(s.completed == 2u);
  BOOST_TEST(s.failed == 1u);
  BOOST_TEST(s.cancelled == 1u);
  check_balanced(s);
}

BOOST_AUTO_TEST_SUITE_END()
