// Tests of herd/task_group.hpp, herd/cancel_scope.hpp and herd/interop.hpp
// (one file for the three structured-concurrency headers, to keep the
// number of test translation units down). Timing runs on the manual clock.
#include "test_support.hpp"

#include <herd/cancel_scope.hpp>
#include <herd/interop.hpp>
#include <herd/task_group.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>
#include <latch>
#include <thread>

namespace net = boost::asio;
using namespace std::chrono_literals;
using herd::test::clock_fixture;
using herd::test::recorder;
using ec_t = boost::system::error_code;

namespace structured_test {

// Every test ends with no task group child alive.
struct no_children_left
{
  ~no_children_left() { BOOST_TEST(herd::task_group::live_children() == 0u); }
};

} // namespace structured_test

using structured_test::no_children_left;
using herd::test::sleep_for;

BOOST_AUTO_TEST_SUITE(task_group)

BOOST_AUTO_TEST_CASE(completes_after_every_child)
{
  no_children_left check;
  clock_fixture f;
  std::vector<std::pair<int, double>> ended;
  recorder<std::exception_ptr, int> r(f.ctx);
  herd::with_task_group(
      f.ex,
      [&](herd::task_group& g) -> net::awaitable<int>
      {
        for (int i = 1; i <= 3; ++i)
          g.spawn(
              [](int i, auto& ended, clock_fixture& f) -> net::awaitable<void>
              {
                co_await sleep_for(std::chrono::seconds(i));
                ended.emplace_back(i, f.elapsed());
              }(i, ended, f));
        co_return 42; // the body is done at once; the group is not
      },
      r.handler());
  f.advance(2s);
  BOOST_TEST(r.calls() == 0);
  BOOST_TEST(herd::task_group::live_children() == 1u);
  f.advance(1s);
  BOOST_TEST(r.calls() == 1);
  BOOST_TEST(!r.get<0>());
  BOOST_TEST(r.get<1>() == 42);
  BOOST_TEST((ended == std::vector<std::pair<int, double>>{{1, 1.0}, {2, 2.0}, {3, 3.0}}));
}

BOOST_AUTO_TEST_CASE(first_failure_cancels_siblings_and_is_rethrown_after_them)
{
  no_children_left check;
  clock_fixture f;
  std::vector<std::string> log;
  recorder<std::exception_ptr> r(f.ctx);
  herd::with_task_group(
      f.ex,
      [&](herd::task_group& g) -> net::awaitable<void>
      {
        g.spawn(
            [](auto& log) -> net::awaitable<void>
            {
              co_await sleep_for(1s);
              log.push_back("a fails");
              throw herd::test::test_error(7);
            }(log));
        g.spawn(
            [](auto& log, clock_fixture& f) -> net::awaitable<void>
            {
              try
              {
                co_await sleep_for(1h);
              }
              catch (const boost::system::system_error& e)
              {
                log.push_back("b cancelled at " + std::to_string(int(f.elapsed())));
              }
              // Clean-up that outer cancellation cannot cut short (Asio would
              // refuse any await in a cancelled coroutine without the opt-out).
              co_await net::this_coro::throw_if_cancelled(false);
              herd::timer t(co_await net::this_coro::executor);
              t.expires_after(2s);
              co_await herd::shield(t.async_wait(net::deferred));
              log.push_back("b cleaned up at " + std::to_string(int(f.elapsed())));
              throw std::runtime_error("a later failure is not the group's");
            }(log, f));
        co_await sleep_for(1h); // the body is cancelled too
      },
      r.handler());
  f.advance(1s);
  BOOST_TEST(r.calls() == 0); // b is still cleaning up
  f.advance(2s);
  BOOST_TEST(r.calls() == 1);
  BOOST_TEST((log == std::vector<std::string>{"a fails", "b cancelled at 1", "b cleaned up at 3"}));
  try
  {
    std::rethrow_exception(r.get<0>());
  }
  catch (const herd::test::test_error& e)
  {
    BOOST_TEST(e.code == 7); // unchanged
  }
}

BOOST_AUTO_TEST_CASE(cancelling_the_group_operation_cancels_every_child)
{
  no_children_left check;
  clock_fixture f;
  net::cancellation_signal sig;
  int cancelled = 0;
  recorder<std::exception_ptr> r(f.ctx);
  herd::with_task_group(
      f.ex,
      [&](herd::task_group& g) -> net::awaitable<void>
      {
        for (int i = 0; i < 5; ++i)
          g.spawn(
              [](int& cancelled) -> net::awaitable<void>
              {
                try
                {
                  co_await sleep_for(1h);
                }
                catch (const boost::system::system_error&)
                {
                  ++cancelled;
                  throw;
                }
              }(cancelled));
        co_return;
      },
      net::bind_cancellation_slot(sig.slot(), r.handler()));
  f.poll();
  BOOST_TEST(herd::task_group::live_children() == 5u);
  sig.emit(net::cancellation_type::terminal);
  f.poll();
  BOOST_TEST(r.calls() == 1);
  BOOST_TEST(cancelled == 5);
  BOOST_CHECK_THROW(std::rethrow_exception(r.get<0>()), herd::cancelled_error);
  BOOST_TEST(f.clock.pending() == 0u);
}

BOOST_AUTO_TEST_CASE(nested_spawns_handles_and_spawn_after_finish)
{
  no_children_left check;
  clock_fixture f;
  std::optional<herd::task_group> escaped; // a copy of the handle outlives the group
  recorder<std::exception_ptr, int> r(f.ctx);
  herd::with_task_group(
      f.ex,
      [&](herd::task_group& g) -> net::awaitable<int>
      {
        escaped = g;
        auto outer = g.spawn(
            [](herd::task_group& g) -> net::awaitable<int>
            {
              // A child spawns a grandchild into the same group.
              auto inner = g.spawn([]() -> net::awaitable<int>
                                   {
                                     co_await sleep_for(1s);
                                     co_return 20;
                                   }());
              co_return 1 + co_await inner.async_wait(net::use_awaitable);
            }(g));
        auto doomed = g.spawn([]() -> net::awaitable<int>
                              {
                                co_await sleep_for(1h);
                                co_return 0;
                              }());
        co_await sleep_for(0s);
        BOOST_TEST(doomed.cancel()); // cancels that child only; not a group failure
        const int v = co_await outer.async_wait(net::use_awaitable);
        BOOST_TEST((doomed.state() == herd::task_state::failed || doomed.state() == herd::task_state::cancelled));
        co_return v;
      },
      r.handler());
  f.advance(1s);
  BOOST_TEST(r.calls() == 1);
  BOOST_TEST(!r.get<0>());
  BOOST_TEST(r.get<1>() == 21);
  BOOST_CHECK_THROW(escaped->spawn([]() -> net::awaitable<void> { co_return; }()), std::logic_error);
}

BOOST_AUTO_TEST_CASE(children_ignoring_cancellation_are_awaited_and_checkpoint_stops_promptly)
{
  no_children_left check;
  clock_fixture f;
  int stubborn_steps = 0, polite_steps_after_cancel = 0;
  bool cancel_seen = false;
  recorder<std::exception_ptr> r(f.ctx);
  herd::with_task_group(
      f.ex,
      [&](herd::task_group& g) -> net::awaitable<void>
      {
        g.spawn(
            [](int& steps) -> net::awaitable<void>
            {
              // Ignores cancellation: yields without looking, 100 times.
              co_await net::this_coro::throw_if_cancelled(false);
              for (int i = 0; i < 100; ++i)
              {
                co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
                ++steps;
              }
            }(stubborn_steps));
        g.spawn(
            [](int& after, bool& seen) -> net::awaitable<void>
            {
              for (;;)
              {
                co_await herd::checkpoint();
                if (seen)
                  ++after;
              }
              co_return;
            }(polite_steps_after_cancel, cancel_seen));
        co_await sleep_for(0s);
        cancel_seen = true;
        g.cancel();
      },
      r.handler());
  f.poll();
  BOOST_TEST(r.calls() == 1);
  BOOST_TEST(stubborn_steps == 100); // the group waited for it
  BOOST_TEST(polite_steps_after_cancel <= 1);
  BOOST_CHECK_THROW(std::rethrow_exception(r.get<0>()), herd::cancelled_error);
}

// Boost 1.81 regression: a child cancelled before it runs, whose body then
// finishes without a context switch, must not take the process down
// (co_spawn's entry point throws outside its try block otherwise).
BOOST_AUTO_TEST_CASE(child_cancelled_before_it_runs_finishes_cleanly)
{
  no_children_left check;
  clock_fixture f;
  int ran = 0;
  recorder<std::exception_ptr> r(f.ctx);
  herd::with_task_group(
      f.ex,
      [&](herd::task_group& g) -> net::awaitable<void>
      {
        g.cancel();
        for (int i = 0; i < 10; ++i)
          g.spawn(
              [](int& ran) -> net::awaitable<void>
              {
                ++ran;
                co_return;
              }(ran));
        co_return;
      },
      r.handler());
  f.poll();
  BOOST_TEST(r.calls() == 1);
  BOOST_CHECK_THROW(std::rethrow_exception(r.get<0>()), herd::cancelled_error);
}

BOOST_AUTO_TEST_CASE(many_children_on_a_thread_pool, *boost::unit_test::timeout(120))
{
  no_children_left check;
  net::thread_pool pool(4);
  std::atomic<int> ran{0};
  std::promise<std::exception_ptr> done;
  herd::with_task_group(
      pool.get_executor(),
      [&](herd::task_group& g) -> net::awaitable<void>
      {
        for (int i = 0; i < 2000; ++i)
          g.spawn(
              [](int i, std::atomic<int>& ran) -> net::awaitable<void>
              {
                ++ran;
                co_await herd::checkpoint();
                if (i == 1500)
                  throw herd::test::test_error(i);
              }(i, ran));
        co_return;
      },
      [&](std::exception_ptr e) { done.set_value(e); });
  auto e = done.get_future().get();
  pool.join();
  BOOST_CHECK_THROW(std::rethrow_exception(e), herd::test::test_error);
  BOOST_TEST(ran.load() >= 1501);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cancel_scope)

BOOST_AUTO_TEST_CASE(deadline_cancels_the_body_at_the_deadline)
{
  clock_fixture f;
  herd::cancel_scope scope(5s);
  herd::timer t(f.ex);
  t.expires_after(1h);
  recorder<ec_t> r(f.ctx);
  scope.run(t.async_wait(net::deferred), r.handler());
  f.advance(4999ms);
  BOOST_TEST(r.calls() == 0);
  BOOST_TEST(!scope.cancel_called());
  f.advance(1ms);
  BOOST_TEST(r.calls() == 1);
  BOOST_TEST((r.get() == net::error::operation_aborted));
  BOOST_TEST(scope.cancel_called());
  BOOST_TEST(f.clock.pending() == 0u);
  BOOST_CHECK_THROW(herd::cancel_scope(-1s), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(cancel_from_another_thread)
{
  net::io_context ctx;
  herd::cancel_scope scope;
  net::steady_timer t(ctx, 1h);
  recorder<ec_t> r(ctx);
  scope.run(t.async_wait(net::deferred), r.handler());
  std::thread th([&] { scope.cancel(); });
  ctx.run();
  th.join();
  BOOST_TEST(r.calls() == 1);
  BOOST_TEST((r.get() == net::error::operation_aborted));
  BOOST_TEST(scope.cancel_called());
  // A cancelled scope cancels what it runs later at once.
  net::steady_timer t2(ctx, 1h);
  recorder<ec_t> r2(ctx);
  scope.run(t2.async_wait(net::deferred), r2.handler());
  ctx.restart();
  ctx.run();
  BOOST_TEST((r2.get() == net::error::operation_aborted));
}

HERD_CO_TEST_CASE(nested_scopes_earlier_deadline_wins)
{
  auto ex = co_await net::this_coro::executor;
  herd::testing::manual_clock clock;
  // This test's io_context runs on the system clock; use a second context
  // for virtual time and drive it here.
  net::io_context vctx;
  herd::use_clock(vctx, clock);
  auto t0 = clock.now();
  auto run_nested = [&](herd::duration outer_d, herd::duration inner_d)
  {
    auto outer = std::make_shared<herd::cancel_scope>(outer_d);
    auto inner = std::make_shared<herd::cancel_scope>(inner_d);
    double at = -1;
    ec_t got;
    net::co_spawn(
        vctx,
        [&, outer, inner]() -> net::awaitable<void>
        {
          auto [ec] = co_await outer->run(
              // The scope travels as a parameter: a lambda coroutine's captures die with the lambda.
              [](std::shared_ptr<herd::cancel_scope> inner) -> net::awaitable<void>
              {
                auto [e2] = co_await inner->run(sleep_for(1h), net::as_tuple(net::use_awaitable));
                if (e2)
                  std::rethrow_exception(e2);
              }(inner),
              net::as_tuple(net::use_awaitable));
          at = std::chrono::duration<double>(clock.now() - t0).count();
          got = ec ? ec_t(net::error::operation_aborted) : ec_t();
          (void)got;
        },
        net::detached);
    clock.advance(outer_d + inner_d, [&] {
      vctx.restart();
      vctx.poll();
    });
    t0 = clock.now();
    return std::make_tuple(at, outer->cancel_called(), inner->cancel_called());
  };
  auto [at1, o1, i1] = run_nested(10s, 5s);
  BOOST_TEST(at1 == 5.0);
  BOOST_TEST(!o1);
  BOOST_TEST(i1);
  auto [at2, o2, i2] = run_nested(3s, 5s);
  BOOST_TEST(at2 == 3.0);
  BOOST_TEST(o2);
  BOOST_TEST(!i2); // reached through the outer scope, not by its own deadline
  (void)ex;
  co_return;
}

BOOST_AUTO_TEST_CASE(shield_keeps_outer_cancellation_away)
{
  clock_fixture f;
  herd::cancel_scope scope(1s);
  herd::timer t(f.ex);
  t.expires_after(2s);
  recorder<ec_t> r(f.ctx);
  scope.run(herd::shield(t.async_wait(net::deferred)), r.handler());
  f.advance(1s);
  BOOST_TEST(scope.cancel_called());
  BOOST_TEST(r.calls() == 0);
  f.advance(1s);
  BOOST_TEST(r.calls() == 1);
  BOOST_TEST(!r.get()); // ran to its end
}

HERD_CO_TEST_CASE(checkpoint_yields_and_raises_once_cancelled)
{
  auto ex = co_await net::this_coro::executor;
  bool other_ran = false;
  net::post(ex, [&] { other_ran = true; });
  co_await herd::checkpoint();
  BOOST_TEST(other_ran); // queued work ran first

  net::cancellation_signal sig;
  std::exception_ptr e;
  bool done = false;
  net::co_spawn(
      ex,
      []() -> net::awaitable<void>
      {
        for (;;)
          co_await herd::checkpoint();
        co_return;
      },
      net::bind_cancellation_slot(sig.slot(),
                                  [&](std::exception_ptr x)
                                  {
                                    e = x;
                                    done = true;
                                  }));
  co_await net::post(ex, net::use_awaitable);
  sig.emit(net::cancellation_type::terminal);
  for (int i = 0; i < 4 && !done; ++i)
    co_await net::post(ex, net::use_awaitable);
  BOOST_TEST(done);
  BOOST_CHECK_THROW(std::rethrow_exception(e), herd::cancelled_error);
}

BOOST_AUTO_TEST_CASE(move_on_after_gives_an_empty_result)
{
  clock_fixture f;
  herd::timer t(f.ex);
  t.expires_after(1h);
  recorder<ec_t, bool> slow(f.ctx);
  herd::move_on_after(2s, t.async_wait(net::deferred), slow.handler());
  recorder<std::exception_ptr, std::optional<int>> fast(f.ctx), late(f.ctx);
  herd::move_on_after(2s,
                      []() -> net::awaitable<int>
                      {
                        co_await sleep_for(1s);
                        co_return 5;
                      }(),
                      fast.handler());
  herd::move_on_after(2s,
                      []() -> net::awaitable<int>
                      {
                        co_await sleep_for(3s);
                        co_return 6;
                      }(),
                      late.handler());
  f.advance(2s);
  BOOST_TEST(slow.calls() == 1);
  BOOST_TEST(!slow.get<0>());
  BOOST_TEST(!slow.get<1>());
  BOOST_TEST((fast.get<1>() == std::optional<int>(5)));
  BOOST_TEST(!late.get<0>());
  BOOST_TEST(!late.get<1>().has_value());
  BOOST_TEST(f.clock.pending() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(interop)

struct no_default
{
  explicit no_default(int x) : v(x) {}
  int v;
};

BOOST_AUTO_TEST_CASE(run_sync_from_a_plain_thread)
{
  net::thread_pool pool(2);
  BOOST_TEST(herd::run_sync(pool.get_executor(), []() -> net::awaitable<int> { co_return 7; }()) == 7);
  BOOST_TEST(herd::run_sync(pool.get_executor(), []() -> net::awaitable<no_default> { co_return no_default(3); }()).v ==
             3);
  BOOST_CHECK_THROW(herd::run_sync(pool.get_executor(),
                                   []() -> net::awaitable<void>
                                   {
                                     throw herd::test::test_error(1);
                                     co_return;
                                   }()),
                    herd::test::test_error);
  pool.join();
}

BOOST_AUTO_TEST_CASE(run_sync_on_the_executors_own_thread_throws)
{
  net::io_context ctx;
  bool refused = false;
  net::post(ctx,
            [&]
            {
              try
              {
                herd::run_sync(ctx.get_executor(), []() -> net::awaitable<int> { co_return 1; }());
              }
              catch (const std::logic_error&)
              {
                refused = true;
              }
            });
  ctx.run();
  BOOST_TEST(refused);
}

HERD_CO_TEST_CASE(to_thread_runs_elsewhere_and_resumes_on_the_caller)
{
  auto ex = co_await net::this_coro::executor;
  const auto caller = std::this_thread::get_id();
  std::thread::id ran_on;
  const int v = co_await herd::to_thread(
      [&]
      {
        ran_on = std::this_thread::get_id();
        return 11;
      },
      net::use_awaitable);
  BOOST_TEST(v == 11);
  BOOST_TEST((ran_on != caller));
  BOOST_TEST((std::this_thread::get_id() == caller));
  BOOST_TEST(ex.target<net::io_context::executor_type>()->running_in_this_thread());
}

BOOST_AUTO_TEST_CASE(to_thread_queues_beyond_its_bound, *boost::unit_test::timeout(120))
{
  const std::size_t limit = herd::to_thread_limit();
  net::io_context ctx;
  std::atomic<std::size_t> now{0}, peak{0}, finished{0};
  std::latch release(1);
  const std::size_t calls = limit + 6;
  for (std::size_t i = 0; i < calls; ++i)
    herd::to_thread(
        [&]
        {
          const std::size_t n = ++now;
          std::size_t p = peak.load();
          while (n > p && !peak.compare_exchange_weak(p, n))
          {
          }
          release.wait();
          --now;
        },
        net::bind_executor(ctx, [&](std::exception_ptr) { ++finished; }));
  // Wait (in real time, bounded) until the pool is full, then let all go.
  for (int i = 0; i < 30000 && now.load() < limit; ++i)
    std::this_thread::sleep_for(1ms);
  BOOST_TEST(now.load() == limit);
  release.count_down();
  ctx.run();
  BOOST_TEST(finished.load() == calls);
  BOOST_TEST(peak.load() == limit); // the extra calls queued; no thread was added
}

BOOST_AUTO_TEST_SUITE_END()
