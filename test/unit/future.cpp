// Tests for herd/future.hpp.
#include "test_support.hpp"

#include <herd/future.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace net = boost::asio;
using herd::task_state;
using herd::test::test_error;

namespace {

struct no_default
{
  explicit no_default(int x) : v(x) {}
  int v;
};

static_assert(std::is_copy_constructible_v<herd::future<int>>);
static_assert(std::is_same_v<herd::wait_value_t<int>, int>);
static_assert(std::is_same_v<herd::wait_value_t<std::unique_ptr<int>>, std::shared_ptr<const std::unique_ptr<int>>>);
static_assert(std::is_same_v<herd::wait_value_t<no_default>, std::shared_ptr<const no_default>>);
static_assert(std::is_same_v<herd::future<void>::wait_signature, void(std::exception_ptr)>);

} // namespace

BOOST_AUTO_TEST_SUITE(future)

BOOST_AUTO_TEST_CASE(promise_sets_value_for_every_copy)
{
  herd::promise<std::string> p;
  auto f = p.get_future();
  auto g = f;
  BOOST_TEST(f.valid());
  BOOST_TEST(!f.done());
  BOOST_TEST((f.state() == task_state::pending));
  p.set_value("hello");
  BOOST_TEST(f.done());
  BOOST_TEST((g.state() == task_state::completed));
  BOOST_TEST(f.get() == "hello");
  BOOST_TEST(&f.get() == &g.get()); // one shared value
  BOOST_TEST(!f.exception());
}

BOOST_AUTO_TEST_CASE(void_move_only_and_non_default_constructible)
{
  herd::promise<void> pv;
  auto fv = pv.get_future();
  pv.set_value();
  fv.get();
  BOOST_TEST((fv.state() == task_state::completed));

  herd::promise<std::unique_ptr<int>> pm;
  auto fm = pm.get_future();
  pm.set_value(std::make_unique<int>(7));
  BOOST_TEST(*fm.get() == 7);

  herd::promise<no_default> pn;
  auto fn = pn.get_future();
  pn.set_value(no_default(3));
  BOOST_TEST(fn.get().v == 3);
}

BOOST_AUTO_TEST_CASE(failures_rethrow_the_original_exception)
{
  herd::promise<int> p;
  auto f = p.get_future();
  p.set_exception(std::make_exception_ptr(test_error(42)));
  BOOST_TEST((f.state() == task_state::failed));
  try
  {
    f.get();
    BOOST_FAIL("get() did not throw");
  }
  catch (const test_error& e)
  {
    BOOST_TEST(e.code == 42);
  }
  BOOST_CHECK_THROW(std::rethrow_exception(f.exception()), test_error);
  BOOST_CHECK_THROW(p.set_exception(nullptr), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(broken_and_double_set_promises)
{
  herd::future<int> f;
  {
    herd::promise<int> p;
    f = p.get_future();
  }
  BOOST_TEST((f.state() == task_state::failed));
  try
  {
    f.get();
    BOOST_FAIL("no broken_promise");
  }
  catch (const std::future_error& e)
  {
    BOOST_TEST((e.code() == std::future_errc::broken_promise));
  }

  herd::promise<int> p;
  p.set_value(1);
  try
  {
    p.set_value(2);
    BOOST_FAIL("second set_value accepted");
  }
  catch (const std::future_error& e)
  {
    BOOST_TEST((e.code() == std::future_errc::promise_already_satisfied));
  }
  BOOST_TEST(p.get_future().get() == 1);

  // Moving a promise over an unset one breaks the overwritten one.
  herd::promise<int> a, b;
  auto fa = a.get_future();
  a = std::move(b);
  BOOST_CHECK_THROW(fa.get(), std::future_error);
}

BOOST_AUTO_TEST_CASE(invalid_future_throws_no_state)
{
  herd::future<int> f;
  BOOST_TEST(!f.valid());
  try
  {
    f.get();
    BOOST_FAIL("no exception");
  }
  catch (const std::future_error& e)
  {
    BOOST_TEST((e.code() == std::future_errc::no_state));
  }
  BOOST_CHECK_THROW(f.done(), std::future_error);
  BOOST_CHECK_THROW((void)f.async_wait(net::deferred), std::future_error);
}

BOOST_AUTO_TEST_CASE(ready_and_exceptional_futures)
{
  auto f = herd::make_ready_future(5);
  BOOST_TEST(f.get() == 5);
  auto v = herd::make_ready_future();
  BOOST_TEST(v.done());
  auto e = herd::make_exceptional_future<int>(std::make_exception_ptr(test_error(1)));
  BOOST_CHECK_THROW(e.get(), test_error);
  BOOST_CHECK_THROW(herd::make_exceptional_future<int>(nullptr), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(cancel_settles_a_pending_promise_once)
{
  herd::promise<int> p;
  auto f = p.get_future();
  BOOST_TEST(f.cancel());
  BOOST_TEST(!f.cancel()); // already settled
  BOOST_TEST((f.state() == task_state::cancelled));
  BOOST_TEST(p.cancelled());
  BOOST_CHECK_THROW(f.get(), herd::cancelled_error);
  p.set_value(1); // ignored: the outcome stays cancelled
  BOOST_TEST((f.state() == task_state::cancelled));
  BOOST_TEST(!herd::make_ready_future(1).cancel());
}

BOOST_AUTO_TEST_CASE(wait_for_and_wait_until_time_out_then_succeed)
{
  herd::promise<int> p;
  auto f = p.get_future();
  BOOST_TEST(!f.wait_for(std::chrono::milliseconds(0)));
  BOOST_TEST(!f.wait_until(std::chrono::system_clock::now()));
  p.set_value(1);
  BOOST_TEST(f.wait_for(std::chrono::hours(1)));
  BOOST_TEST(f.wait_until(std::chrono::steady_clock::now()));
}

BOOST_AUTO_TEST_CASE(get_for_and_get_until_throw_timeout_error_then_give_the_outcome)
{
  herd::promise<int> p;
  auto f = p.get_future();
  try
  {
    f.get_for(std::chrono::milliseconds(0));
    BOOST_FAIL("get_for returned before the outcome was set");
  }
  catch (const herd::timeout_error& e)
  {
    BOOST_TEST((e.code() == std::error_code(herd::make_error_code(herd::errc::timeout))));
    BOOST_TEST(std::string(e.what()).find("herd::future::get_for") != std::string::npos);
  }
  BOOST_CHECK_THROW(f.get_until(std::chrono::system_clock::now()), herd::timeout_error);
  BOOST_TEST(!f.done()); // timing out neither settles nor cancels the future
  p.set_value(5);
  BOOST_TEST(f.get_for(std::chrono::hours(1)) == 5);
  BOOST_TEST(f.get_until(std::chrono::steady_clock::now()) == 5);

  herd::promise<void> pv;
  auto fv = pv.get_future();
  BOOST_CHECK_THROW(fv.get_for(std::chrono::milliseconds(0)), herd::timeout_error);
  pv.set_exception(std::make_exception_ptr(test_error(3)));
  BOOST_CHECK_THROW(fv.get_for(std::chrono::hours(1)), test_error); // the failure, not a timeout
}

BOOST_AUTO_TEST_CASE(blocked_threads_are_woken_by_completion, *boost::unit_test::timeout(60))
{
  // Every blocking form parks until the promise is set; none returns early.
  // (Boost.Test's assertions are not thread-safe: threads record, main checks.)
  herd::promise<int> p;
  auto f = p.get_future();
  constexpr int n = 8;
  std::latch started(n);
  std::atomic<int> woken{0};
  std::atomic<int> right{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back(
        [&, i]
        {
          started.count_down();
          bool ok = false;
          switch (i % 4)
          {
          case 0: ok = f.get() == 9; break;
          case 1: f.wait(); ok = f.done(); break;
          case 2: ok = f.wait_for(std::chrono::hours(1)); break;
          default: ok = !f.exception(); break;
          }
          woken.fetch_add(1);
          right.fetch_add(ok ? 1 : 0);
        });
  started.wait();
  BOOST_TEST(woken.load() == 0);
  p.set_value(9);
  for (auto& t : threads)
    t.join();
  BOOST_TEST(woken.load() == n);
  BOOST_TEST(right.load() == n);
}

BOOST_AUTO_TEST_CASE(callback_runs_once_on_its_associated_executor)
{
  net::io_context ctx;
  auto strand = net::make_strand(ctx);
  herd::promise<int> p;
  auto f = p.get_future();
  int calls = 0;
  bool on_strand = false;
  int got = 0;
  f.async_wait(net::bind_executor(strand,
                                  [&](std::exception_ptr e, int v)
                                  {
                                    ++calls;
                                    on_strand = strand.running_in_this_thread();
                                    BOOST_TEST(!e);
                                    got = v;
                                  }));
  std::thread setter([&] { p.set_value(11); });
  setter.join();
  BOOST_TEST(calls == 0); // posted to the strand, not run on the setter
  ctx.run();
  BOOST_TEST(calls == 1);
  BOOST_TEST(on_strand);
  BOOST_TEST(got == 11);
}

BOOST_AUTO_TEST_CASE(ready_future_never_completes_inside_the_initiating_call)
{
  net::io_context ctx;
  auto f = herd::make_ready_future(3);
  int calls = 0;
  f.async_wait(net::bind_executor(ctx, [&](std::exception_ptr, int v) { calls += v; }));
  BOOST_TEST(calls == 0);
  ctx.run();
  BOOST_TEST(calls == 3);
}

BOOST_AUTO_TEST_CASE(use_future_and_deferred)
{
  herd::promise<int> p;
  auto f = p.get_future();
  std::future<int> sf = f.async_wait(net::use_future);
  auto op = f.async_wait(net::deferred);
  net::io_context ctx;
  int deferred_value = 0;
  std::move(op)(net::bind_executor(ctx, [&](std::exception_ptr, int v) { deferred_value = v; }));
  p.set_value(21);
  BOOST_TEST(sf.get() == 21);
  ctx.run();
  BOOST_TEST(deferred_value == 21);

  // void futures and move-only values through use_future.
  herd::promise<void> pv;
  auto fv = pv.get_future().async_wait(net::use_future);
  pv.set_value();
  fv.get();
  herd::promise<std::unique_ptr<int>> pm;
  auto fm = pm.get_future().async_wait(net::use_future);
  pm.set_value(std::make_unique<int>(4));
  std::shared_ptr<const std::unique_ptr<int>> held = fm.get();
  BOOST_TEST(**held == 4);
}

HERD_CO_TEST_CASE(use_awaitable_and_default_token)
{
  auto ex = co_await net::this_coro::executor;
  herd::promise<int> p;
  auto f = p.get_future();
  net::post(ex, [&] { p.set_value(8); });
  BOOST_TEST(co_await f.async_wait(net::use_awaitable) == 8);
  // The default token is net::deferred: launch it with a token later.
  BOOST_TEST(co_await f.async_wait()(net::use_awaitable) == 8);

  herd::promise<no_default> pn;
  net::post(ex, [&] { pn.set_value(no_default(6)); });
  auto held = co_await pn.get_future().async_wait(net::use_awaitable);
  BOOST_TEST(held->v == 6);
}

HERD_CO_TEST_CASE(exceptions_arrive_intact_through_every_token)
{
  auto f = herd::make_exceptional_future<int>(std::make_exception_ptr(test_error(77)));
  // use_awaitable
  try
  {
    co_await f.async_wait(net::use_awaitable);
    BOOST_FAIL("no exception");
  }
  catch (const test_error& e)
  {
    BOOST_TEST(e.code == 77);
  }
  // use_future
  try
  {
    f.async_wait(net::use_future).get();
    BOOST_FAIL("no exception");
  }
  catch (const test_error& e)
  {
    BOOST_TEST(e.code == 77);
  }
  // deferred, then a callback
  std::exception_ptr seen;
  auto ex = co_await net::this_coro::executor;
  f.async_wait(net::deferred)(net::bind_executor(ex, [&](std::exception_ptr e, int) { seen = e; }));
  co_await net::post(ex, net::use_awaitable);
  BOOST_CHECK_THROW(std::rethrow_exception(seen), test_error);
  // void futures too
  auto fv = herd::make_exceptional_future<void>(std::make_exception_ptr(test_error(5)));
  BOOST_CHECK_THROW(co_await fv.async_wait(net::use_awaitable), test_error);
}

BOOST_AUTO_TEST_CASE(cancelling_the_wait_abandons_the_wait_not_the_task)
{
  net::io_context ctx;
  herd::promise<int> p;
  auto f = p.get_future();
  net::cancellation_signal signal;
  int calls = 0;
  std::exception_ptr seen;
  f.async_wait(net::bind_cancellation_slot(signal.slot(), net::bind_executor(ctx,
                                                                               [&](std::exception_ptr e, int)
                                                                               {
                                                                                 ++calls;
                                                                                 seen = e;
                                                                               })));
  net::post(ctx, [&] { signal.emit(net::cancellation_type::terminal); });
  ctx.run();
  BOOST_TEST(calls == 1);
  try
  {
    std::rethrow_exception(seen);
  }
  catch (const boost::system::system_error& e)
  {
    BOOST_TEST((e.code() == net::error::operation_aborted));
  }
  // A second emit after completion is harmless; the task is untouched.
  signal.emit(net::cancellation_type::terminal);
  BOOST_TEST((f.state() == task_state::pending));
  p.set_value(1);
  BOOST_TEST(f.get() == 1);
  BOOST_TEST(calls == 1);
}

BOOST_AUTO_TEST_CASE(many_waits_on_one_future_each_complete_once)
{
  net::io_context ctx;
  herd::promise<int> p;
  auto f = p.get_future();
  std::vector<int> calls(100, 0);
  std::vector<net::cancellation_signal> signals(100);
  for (int i = 0; i < 100; ++i)
    f.async_wait(net::bind_cancellation_slot(signals[i].slot(),
                                             net::bind_executor(ctx, [&, i](std::exception_ptr, int) { ++calls[i]; })));
  // Cancel every third wait, then settle the rest.
  for (int i = 0; i < 100; i += 3)
    signals[i].emit(net::cancellation_type::terminal);
  p.set_value(1);
  ctx.run();
  for (int i = 0; i < 100; ++i)
    BOOST_TEST(calls[i] == 1);
}

BOOST_AUTO_TEST_CASE(settle_races_with_cancel_and_waits, *boost::unit_test::timeout(120))
{
  // Exactly one of set_value and cancel wins, and every waiter sees that.
  // The handler has no executor: it is posted to the system executor (never
  // run inside set_value's noexcept settle), so the test waits for it.
  for (int round = 0; round < 2000; ++round)
  {
    herd::promise<int> p;
    auto f = p.get_future();
    struct seen
    {
      std::atomic<int> handler_calls{0};
      std::atomic<int> values_seen{0};
    };
    auto s = std::make_shared<seen>();
    f.async_wait(
        [s](std::exception_ptr e, int v)
        {
          if (!e)
            s->values_seen.fetch_add(v);
          s->handler_calls.fetch_add(1);
          s->handler_calls.notify_all();
        });
    bool cancelled = false;
    std::thread canceller([&] { cancelled = f.cancel(); });
    p.set_value(1);
    canceller.join();
    f.wait();
    s->handler_calls.wait(0);
    BOOST_TEST(s->handler_calls.load() == 1);
    if (cancelled)
    {
      BOOST_TEST((f.state() == task_state::cancelled));
      BOOST_TEST(s->values_seen.load() == 0);
    }
    else
    {
      BOOST_TEST(f.get() == 1);
      BOOST_TEST(s->values_seen.load() == 1);
    }
  }
}

BOOST_AUTO_TEST_CASE(outcome_holds_a_value_or_an_exception)
{
  herd::outcome<int> ok(3);
  BOOST_TEST(ok.has_value());
  BOOST_TEST(ok.value() == 3);
  BOOST_TEST(ok.value_or(9) == 3);
  herd::outcome<int> bad(std::make_exception_ptr(test_error(2)));
  BOOST_TEST(!bad.has_value());
  BOOST_TEST(bad.value_or(9) == 9);
  BOOST_CHECK_THROW(bad.value(), test_error);
  BOOST_CHECK_THROW(herd::outcome<int>{std::exception_ptr{}}, std::invalid_argument);
  herd::outcome<void> v;
  BOOST_TEST(v.has_value());
  herd::outcome<void> vf(std::make_exception_ptr(test_error(1)));
  BOOST_CHECK_THROW(vf.value(), test_error);
}

BOOST_AUTO_TEST_SUITE_END()
