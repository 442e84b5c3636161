// Tests for herd/race.hpp and the asynchronous gathers (herd/gather.hpp):
// built on parallel_group, run with every kind of token.
#include "test_support.hpp"

#include <herd/async_executor.hpp>
#include <herd/gather.hpp>
#include <herd/race.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>
#include <thread>
#include <vector>

namespace net = boost::asio;
using namespace std::chrono_literals;
using herd::task_state;
using herd::test::promises;
using herd::test::test_error;

BOOST_AUTO_TEST_SUITE(race)

BOOST_AUTO_TEST_CASE(the_first_to_finish_wins_even_if_it_failed)
{
  {
    promises p(3);
    auto f = herd::race(p.fs, net::use_future);
    p.ps[1].set_value(11);
    BOOST_TEST(f.get() == 11);
    BOOST_TEST((p.fs[0].state() == task_state::cancelled)); // losers get a cancellation request
    BOOST_TEST((p.fs[2].state() == task_state::cancelled));
  }
  {
    promises p(2);
    auto f = herd::race(p.fs, net::use_future);
    p.ps[0].set_exception(std::make_exception_ptr(test_error(7)));
    BOOST_CHECK_THROW(f.get(), test_error);
    BOOST_TEST((p.fs[1].state() == task_state::cancelled));
  }
}

BOOST_AUTO_TEST_CASE(empty_inputs_are_rejected_by_name)
{
  std::vector<herd::future<int>> none;
  try
  {
    herd::race(none, net::use_future);
    BOOST_FAIL("accepted an empty race");
  }
  catch (const std::invalid_argument& e)
  {
    BOOST_TEST(std::string(e.what()).find("herd::race") != std::string::npos);
  }
  BOOST_CHECK_THROW(herd::first_success(none, net::use_future), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(first_success_skips_failures_and_aggregates_them_in_input_order)
{
  {
    promises p(3);
    auto f = herd::first_success(p.fs, net::use_future);
    p.ps[2].set_exception(std::make_exception_ptr(test_error(2)));
    p.ps[0].set_value(5);
    BOOST_TEST(f.get() == 5);
    BOOST_TEST((p.fs[1].state() == task_state::cancelled));
  }
  {
    promises p(3);
    auto f = herd::first_success(p.fs, net::use_future);
    p.ps[2].set_exception(std::make_exception_ptr(test_error(2)));
    p.ps[0].set_exception(std::make_exception_ptr(test_error(0)));
    p.ps[1].set_exception(std::make_exception_ptr(test_error(1)));
    try
    {
      f.get();
      BOOST_FAIL("no aggregate_error");
    }
    catch (const herd::aggregate_error& e)
    {
      BOOST_TEST_REQUIRE(e.errors().size() == 3u);
      for (int i = 0; i < 3; ++i)
      {
        try
        {
          std::rethrow_exception(e.errors()[i]);
        }
        catch (const test_error& t)
        {
          BOOST_TEST(t.code == i);
        }
      }
    }
  }
}

HERD_CO_TEST_CASE(race_and_async_gather_in_a_coroutine)
{
  herd::async_executor ex(2);
  std::vector<herd::future<int>> fs;
  for (int i = 0; i < 50; ++i)
    fs.push_back(ex.submit([i] { return i; }));
  // No braced options temporary in a co_await expression: g++ 12 destroys
  // it twice (see the note at herd::async_gather).
  std::vector<int> v = co_await herd::async_gather(fs, net::use_awaitable);
  BOOST_TEST(v.size() == 50u);
  BOOST_TEST(v[49] == 49);
  herd::gather_options named;
  auto settled = co_await herd::async_gather_settled(fs, named, net::use_awaitable);
  BOOST_TEST(settled[10].value() == 10);
  const int winner = co_await herd::race(fs, net::use_awaitable);
  BOOST_TEST(winner >= 0);
  // Deferred by default: launch later with any token.
  std::vector<int> again = co_await herd::async_gather(fs)(net::use_awaitable);
  BOOST_TEST(again == v);
}

BOOST_AUTO_TEST_CASE(async_gather_fails_fast_and_applies_the_policy)
{
  promises p(3);
  auto f = herd::async_gather(p.fs, {}, net::use_future);
  p.ps[1].set_exception(std::make_exception_ptr(test_error(3)));
  BOOST_CHECK_THROW(f.get(), test_error);
  BOOST_TEST((p.fs[0].state() == task_state::cancelled));

  promises q(2);
  auto g = herd::async_gather(q.fs, {.on_failure = herd::failure_policy::leave_pending}, net::use_future);
  q.ps[0].set_exception(std::make_exception_ptr(test_error(4)));
  BOOST_CHECK_THROW(g.get(), test_error);
  BOOST_TEST((q.fs[1].state() == task_state::pending));
}

BOOST_AUTO_TEST_CASE(async_gather_times_out)
{
  promises p(2);
  p.ps[0].set_value(1);
  auto f = herd::async_gather(p.fs, {.timeout = 1ms}, net::use_future);
  BOOST_CHECK_THROW(f.get(), herd::timeout_error);
  BOOST_TEST((p.fs[1].state() == task_state::cancelled));
  std::vector<herd::future<int>> none;
  BOOST_TEST(herd::async_gather(none, {}, net::use_future).get().empty());
}

BOOST_AUTO_TEST_CASE(cancelling_the_gather_completes_once_on_its_executor)
{
  net::io_context ctx;
  auto strand = net::make_strand(ctx);
  promises p(2);
  net::cancellation_signal signal;
  int calls = 0;
  bool on_strand = false;
  std::exception_ptr seen;
  herd::async_gather(p.fs, {},
                     net::bind_cancellation_slot(signal.slot(),
                                                 net::bind_executor(strand,
                                                                    [&](std::exception_ptr e, std::vector<int>)
                                                                    {
                                                                      ++calls;
                                                                      on_strand = strand.running_in_this_thread();
                                                                      seen = e;
                                                                    })));
  net::post(strand, [&] { signal.emit(net::cancellation_type::terminal); });
  ctx.run();
  BOOST_TEST(calls == 1);
  BOOST_TEST(on_strand);
  try
  {
    std::rethrow_exception(seen);
  }
  catch (const boost::system::system_error& e)
  {
    BOOST_TEST((e.code() == net::error::operation_aborted));
  }
  BOOST_TEST((p.fs[0].state() == task_state::cancelled)); // cancel_pending
}

BOOST_AUTO_TEST_CASE(parallel_group_thread_safety_regression, *boost::unit_test::timeout(120))
{
  // Asio 1.81's parallel_group is not thread-safe unless its operations
  // complete on one strand (asio #1348). Futures settled concurrently by
  // four pool threads must still give every value exactly once.
  herd::async_executor ex(4);
  for (int round = 0; round < 50; ++round)
  {
    std::vector<herd::future<int>> fs;
    for (int i = 0; i < 200; ++i)
      fs.push_back(ex.submit([i] { return i; }));
    auto v = herd::async_gather(fs, {}, net::use_future).get();
    long sum = 0;
    for (int x : v)
      sum += x;
    BOOST_TEST_REQUIRE(sum == 199L * 200L / 2);
    auto s = herd::async_gather_settled(fs, {}, net::use_future).get();
    BOOST_TEST_REQUIRE(s.size() == 200u);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(hedge)

using herd::test::clock_fixture;
using herd::test::recorder;
using herd::test::sleep_for;

// Attempt k sleeps takes[k] seconds, then fails if fails[k], else returns k.
struct attempts
{
  std::vector<int> takes;
  std::vector<bool> fails;
  std::vector<double> started, ended;
  std::vector<bool> cancelled;
  clock_fixture* f;

  auto make_op()
  {
    return [this]() -> net::awaitable<int>
    {
      const int k = static_cast<int>(started.size());
      started.push_back(f->elapsed());
      cancelled.push_back(false);
      ended.push_back(-1);
      try
      {
        co_await sleep_for(std::chrono::seconds(takes.at(k)));
      }
      catch (const boost::system::system_error&)
      {
        cancelled[k] = true;
        ended[k] = f->elapsed();
        throw;
      }
      ended[k] = f->elapsed();
      if (fails.at(k))
        throw test_error(k);
      co_return k;
    };
  }
};

BOOST_AUTO_TEST_CASE(a_second_attempt_after_delay_wins_and_the_first_is_cancelled)
{
  clock_fixture f;
  attempts a{{5, 1, 1}, {false, false, false}, {}, {}, {}, &f};
  recorder<std::exception_ptr, int> r(f.ctx);
  herd::hedge(a.make_op(), 2s, 3, r.handler());
  for (int i = 0; i < 10; ++i)
    f.advance(500ms);
  BOOST_REQUIRE(r.calls() == 1);
  BOOST_TEST(!r.get<0>());
  BOOST_TEST(r.get<1>() == 1);
  BOOST_REQUIRE(a.started.size() == 2u); // the third never started
  BOOST_TEST(a.started[0] == 0.0);
  BOOST_TEST(a.started[1] == 2.0);
  BOOST_TEST(a.cancelled[0]); // the loser got a cancellation...
  BOOST_TEST(a.ended[0] == 3.0); // ...when the winner finished
  BOOST_TEST(f.clock.pending() == 0u);
}

BOOST_AUTO_TEST_CASE(every_attempt_failing_gives_the_last_failure_and_a_failure_starts_the_next_at_once)
{
  clock_fixture f;
  attempts a{{1, 1, 1}, {true, true, true}, {}, {}, {}, &f};
  recorder<std::exception_ptr, int> r(f.ctx);
  herd::hedge(a.make_op(), 10s, 3, r.handler());
  for (int i = 0; i < 10; ++i)
    f.advance(500ms);
  BOOST_REQUIRE(r.calls() == 1);
  BOOST_CHECK_EXCEPTION(std::rethrow_exception(r.get<0>()), test_error, [](const test_error& e) { return e.code == 2; });
  BOOST_REQUIRE(a.started.size() == 3u);
  BOOST_TEST(a.started[1] == 1.0); // not at 10 s: the first had failed
  BOOST_TEST(a.started[2] == 2.0);
}

BOOST_AUTO_TEST_CASE(cancelling_reaches_every_running_attempt)
{
  clock_fixture f;
  attempts a{{50, 50, 50}, {false, false, false}, {}, {}, {}, &f};
  net::cancellation_signal sig;
  recorder<std::exception_ptr, int> r(f.ctx);
  herd::hedge(a.make_op(), 1s, 3, net::bind_cancellation_slot(sig.slot(), r.handler()));
  f.advance(1500ms);
  BOOST_REQUIRE(a.started.size() == 2u);
  sig.emit(net::cancellation_type::terminal);
  f.poll();
  BOOST_REQUIRE(r.calls() == 1);
  BOOST_TEST(bool(r.get<0>()));
  BOOST_TEST(a.cancelled[0]);
  BOOST_TEST(a.cancelled[1]);
  f.advance(5s);
  BOOST_TEST(a.started.size() == 2u); // no attempt after the cancellation
  BOOST_TEST(f.clock.pending() == 0u);
}

BOOST_AUTO_TEST_CASE(bad_arguments_are_named)
{
  auto op = [] { return net::post(net::system_executor(), net::deferred); };
  BOOST_CHECK_EXCEPTION(herd::hedge(op, 0s, 2), std::invalid_argument,
                        [](const std::invalid_argument& e) { return herd::test::message_names(e, "delay"); });
  BOOST_CHECK_EXCEPTION(herd::hedge(op, 1s, 0), std::invalid_argument,
                        [](const std::invalid_argument& e) { return herd::test::message_names(e, "max_attempts"); });
}

BOOST_AUTO_TEST_SUITE_END()
