// Tests for herd/race.hpp and the asynchronous gathers (herd/gather.hpp):
// built on parallel_group, run with every kind of token.
#include "test_support.hpp"

#include <herd/async_executor.hpp>
#include <herd/gather.hpp>
#include <herd/gather_iter.hpp>
#include <herd/race.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>
#include <string>
#include <thread>
#include <unordered_map>
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

// The asynchronous wait strategies over Asio deferred operations, alone or
// mixed with herd futures, and the variadic forms; all on the manual clock.
BOOST_AUTO_TEST_SUITE(async_inputs)

using herd::test::clock_fixture;
using herd::test::recorder;

// An Asio operation that fails at once with @c ec (void(error_code, int)).
auto failing_op(net::error::basic_errors ec)
{
  return net::deferred.values(boost::system::error_code(ec), 0);
}

auto succeeding_op(int v)
{
  return net::deferred.values(boost::system::error_code(), v);
}

bool has_code(std::exception_ptr e, boost::system::error_code code)
{
  try
  {
    std::rethrow_exception(e);
  }
  catch (const boost::system::system_error& x)
  {
    return x.code() == code;
  }
  catch (...)
  {
  }
  return false;
}

BOOST_AUTO_TEST_CASE(variadic_async_gather_mixes_futures_and_asio_operations)
{
  clock_fixture f;
  herd::promise<int> a;
  herd::promise<std::string> b;
  auto fa = a.get_future();
  auto fb = b.get_future();
  herd::timer t(f.ex);
  t.expires_after(2s);
  recorder<std::exception_ptr, std::tuple<int, std::string, std::monostate, int>> r(f.ctx);
  herd::async_gather(fa, fb, t.async_wait(net::deferred), succeeding_op(7), r.handler());
  a.set_value(1);
  b.set_value("two");
  f.advance(1s);
  BOOST_TEST(r.calls() == 0); // the timer still runs
  f.advance(1s);
  BOOST_REQUIRE(r.calls() == 1);
  BOOST_TEST(!r.get<0>());
  BOOST_TEST(std::get<0>(r.get<1>()) == 1);
  BOOST_TEST(std::get<1>(r.get<1>()) == "two");
  BOOST_TEST(std::get<3>(r.get<1>()) == 7);

  // One input: its value, not a tuple; without a token, a deferred operation.
  auto one = herd::test::run_on(f.ctx, [&]() -> net::awaitable<int>
                                { co_return co_await herd::async_gather(fa)(net::use_awaitable); }());
  BOOST_TEST(one == 1);
}

BOOST_AUTO_TEST_CASE(a_failing_operation_fails_the_gather_cancels_and_awaits_the_rest)
{
  clock_fixture f;
  herd::promise<int> pending;
  auto fp = pending.get_future();
  herd::timer t(f.ex);
  t.expires_after(5s);
  bool timer_aborted = false;
  // The timer's own completion, observed: the gather must await it.
  auto timer_op = t.async_wait(net::deferred)(net::deferred(
      [&](boost::system::error_code ec)
      {
        timer_aborted = ec == net::error::operation_aborted;
        return net::deferred.values(ec);
      }));
  recorder<std::exception_ptr, std::tuple<int, std::monostate, int>> r(f.ctx);
  herd::async_gather(fp, std::move(timer_op), failing_op(net::error::connection_refused), r.handler());
  f.poll();
  BOOST_REQUIRE(r.calls() == 1); // at virtual time 0: the timer was cancelled, not waited out
  BOOST_TEST(timer_aborted);
  BOOST_TEST(has_code(r.get<0>(), net::error::connection_refused));
  BOOST_TEST((fp.state() == task_state::cancelled)); // cancel_pending
}

BOOST_AUTO_TEST_CASE(settled_forms_give_each_operation_its_outcome)
{
  clock_fixture f;
  auto fa = herd::make_ready_future(3);
  using both = std::tuple<herd::outcome<int>, herd::outcome<int>>;
  std::optional<both> got; // outcome<T> has no empty state: no recorder
  std::exception_ptr error;
  herd::async_gather_settled(fa, failing_op(net::error::timed_out),
                             net::bind_executor(f.ctx,
                                                [&](std::exception_ptr e, both v)
                                                {
                                                  error = e;
                                                  got.emplace(std::move(v));
                                                }));
  f.poll();
  BOOST_REQUIRE(got.has_value());
  BOOST_TEST(!error);
  BOOST_TEST(std::get<0>(*got).value() == 3);
  BOOST_TEST(has_code(std::get<1>(*got).error(), net::error::timed_out));

  // A range of operations of one type.
  std::vector<decltype(succeeding_op(0))> ops;
  ops.push_back(succeeding_op(1));
  ops.push_back(failing_op(net::error::timed_out));
  ops.push_back(succeeding_op(3));
  recorder<std::exception_ptr, std::vector<herd::outcome<int>>> s(f.ctx);
  herd::async_gather_settled(std::move(ops), s.handler());
  f.poll();
  BOOST_REQUIRE(s.calls() == 1);
  BOOST_REQUIRE(s.get<1>().size() == 3u);
  BOOST_TEST(s.get<1>()[0].value() == 1);
  BOOST_TEST(!s.get<1>()[1].has_value());
  BOOST_TEST(s.get<1>()[2].value() == 3);
}

BOOST_AUTO_TEST_CASE(ranged_operations_in_input_order_with_a_timeout)
{
  clock_fixture f;
  std::vector<std::unique_ptr<herd::timer>> timers;
  std::vector<decltype(std::declval<herd::timer&>().async_wait(net::deferred))> ops;
  for (int i = 0; i < 3; ++i)
  {
    timers.emplace_back(new herd::timer(f.ex));
    timers.back()->expires_after(std::chrono::seconds(3 - i)); // they finish in reverse order
    ops.push_back(timers.back()->async_wait(net::deferred));
  }
  recorder<std::exception_ptr, std::vector<std::monostate>> r(f.ctx);
  herd::async_gather(std::move(ops), r.handler());
  f.advance(2s);
  BOOST_TEST(r.calls() == 0);
  f.advance(1s);
  BOOST_REQUIRE(r.calls() == 1);
  BOOST_TEST(r.get<1>().size() == 3u);

  // A timeout cancels the running operations and awaits them.
  std::vector<decltype(ops)::value_type> slow;
  timers[0]->expires_after(10s);
  slow.push_back(timers[0]->async_wait(net::deferred));
  recorder<std::exception_ptr, std::vector<std::monostate>> t(f.ctx);
  herd::async_gather(std::move(slow), {.timeout = 1s}, t.handler());
  f.advance(1s);
  BOOST_REQUIRE(t.calls() == 1);
  BOOST_CHECK_THROW(std::rethrow_exception(t.get<0>()), herd::timeout_error);
}

BOOST_AUTO_TEST_CASE(maps_keep_their_keys_in_the_async_forms)
{
  clock_fixture f;
  herd::promise<int> late;
  std::map<std::string, herd::future<int>> m{{"a", herd::make_ready_future(1)}, {"b", late.get_future()}};
  recorder<std::exception_ptr, std::map<std::string, int>> r(f.ctx);
  herd::async_gather(m, r.handler());
  f.poll();
  BOOST_TEST(r.calls() == 0);
  late.set_value(2);
  f.poll();
  BOOST_REQUIRE(r.calls() == 1);
  BOOST_TEST(r.get<1>().at("a") == 1);
  BOOST_TEST(r.get<1>().at("b") == 2);

  std::unordered_map<std::string, herd::future<int>> um{{"c", herd::make_ready_future(3)}};
  recorder<std::exception_ptr, std::unordered_map<std::string, int>> u(f.ctx); // an unordered_map stays one
  herd::async_gather(um, u.handler());
  f.poll();
  BOOST_REQUIRE(u.calls() == 1);
  BOOST_TEST(u.get<1>().at("c") == 3);

  recorder<std::exception_ptr, std::map<std::string, herd::outcome<int>>> s(f.ctx);
  herd::async_gather_settled(m, s.handler());
  f.poll();
  BOOST_REQUIRE(s.calls() == 1);
  BOOST_TEST(s.get<1>().at("b").value() == 2);
}

BOOST_AUTO_TEST_CASE(race_cancels_and_awaits_the_operations_it_started)
{
  clock_fixture f;
  herd::promise<int> p;
  auto fp = p.get_future();
  herd::timer t(f.ex);
  t.expires_after(5s);
  bool timer_finished_first = false;
  bool timer_aborted = false;
  auto timer_op = t.async_wait(net::deferred)(net::deferred(
      [&](boost::system::error_code ec)
      {
        timer_aborted = ec == net::error::operation_aborted;
        return net::deferred.values(ec);
      }));
  std::variant<int, std::monostate> won;
  int calls = 0;
  herd::race(fp, std::move(timer_op),
             net::bind_executor(f.ctx,
                                [&](std::exception_ptr e, std::variant<int, std::monostate> v)
                                {
                                  ++calls;
                                  BOOST_TEST(!e);
                                  timer_finished_first = timer_aborted; // awaited before the race completes
                                  won = v;
                                }));
  f.poll();
  p.set_value(9);
  f.poll();
  BOOST_REQUIRE(calls == 1);
  BOOST_TEST(won.index() == 0u);
  BOOST_TEST(std::get<0>(won) == 9);
  BOOST_TEST(timer_finished_first);

  // The operation wins: the future gets a cancellation request.
  herd::promise<int> q;
  auto fq = q.get_future();
  t.expires_after(1s);
  recorder<std::exception_ptr, std::variant<int, std::monostate>> r(f.ctx);
  herd::race(fq, t.async_wait(net::deferred), r.handler());
  f.advance(1s);
  BOOST_REQUIRE(r.calls() == 1);
  BOOST_TEST(r.get<1>().index() == 1u);
  BOOST_TEST((fq.state() == task_state::cancelled));
}

BOOST_AUTO_TEST_CASE(first_success_over_operations_aggregates_failures_in_input_order)
{
  clock_fixture f;
  std::vector<decltype(succeeding_op(0))> ops;
  ops.push_back(failing_op(net::error::timed_out));
  ops.push_back(succeeding_op(5));
  recorder<std::exception_ptr, int> r(f.ctx);
  herd::first_success(std::move(ops), r.handler());
  f.poll();
  BOOST_REQUIRE(r.calls() == 1);
  BOOST_TEST(!r.get<0>());
  BOOST_TEST(r.get<1>() == 5);

  // Variadic, every input failing: aggregate_error, in input order.
  herd::promise<int> p;
  auto fp = p.get_future();
  recorder<std::exception_ptr, int> s(f.ctx);
  herd::first_success(failing_op(net::error::timed_out), fp, failing_op(net::error::connection_refused), s.handler());
  f.poll();
  BOOST_TEST(s.calls() == 0);
  p.set_exception(std::make_exception_ptr(test_error(4)));
  f.poll();
  BOOST_REQUIRE(s.calls() == 1);
  try
  {
    std::rethrow_exception(s.get<0>());
  }
  catch (const herd::aggregate_error& e)
  {
    BOOST_REQUIRE(e.errors().size() == 3u);
    BOOST_TEST(has_code(e.errors()[0], net::error::timed_out));
    BOOST_CHECK_THROW(std::rethrow_exception(e.errors()[1]), test_error);
    BOOST_TEST(has_code(e.errors()[2], net::error::connection_refused));
  }
}

BOOST_AUTO_TEST_CASE(zip_takes_operations_too)
{
  clock_fixture f;
  herd::timer t(f.ex);
  t.expires_after(1s);
  recorder<std::exception_ptr, std::tuple<int, std::monostate>> r(f.ctx);
  herd::zip(herd::make_ready_future(4), t.async_wait(net::deferred), r.handler());
  f.advance(1s);
  BOOST_REQUIRE(r.calls() == 1);
  BOOST_TEST(std::get<0>(r.get<1>()) == 4);
}

// Records whether a timer operation ended aborted (one type for a vector).
struct abort_observer
{
  int* aborted;
  auto operator()(boost::system::error_code ec) const
  {
    *aborted += ec == net::error::operation_aborted;
    return net::deferred.values(ec);
  }
};

BOOST_AUTO_TEST_CASE(async_gather_iter_streams_operations_and_stopping_cancels_the_rest)
{
  clock_fixture f;
  int aborted = 0;
  std::vector<std::unique_ptr<herd::timer>> timers;
  using op = decltype(std::declval<herd::timer&>().async_wait(net::deferred)(
      net::deferred(std::declval<abort_observer>())));
  auto make = [&](std::vector<int> seconds)
  {
    std::vector<op> ops;
    for (int d : seconds)
    {
      timers.emplace_back(new herd::timer(f.ex));
      timers.back()->expires_after(std::chrono::seconds(d));
      ops.push_back(timers.back()->async_wait(net::deferred)(net::deferred(abort_observer{&aborted})));
    }
    return ops;
  };
  {
    auto s = herd::async_gather_iter(f.ex, make({3, 1, 2}));
    std::vector<std::size_t> order;
    bool finished = false;
    net::co_spawn(
        f.ctx,
        [&]() -> net::awaitable<void>
        {
          while (auto r = co_await s.next())
            order.push_back(r->first);
          finished = true;
        },
        net::detached);
    f.advance(2s);
    BOOST_TEST(!finished);
    f.advance(1s);
    BOOST_TEST(finished);
    BOOST_TEST(order == (std::vector<std::size_t>{1, 2, 0}));
    BOOST_TEST(aborted == 0);
  }
  {
    auto s = herd::async_gather_iter(f.ex, make({1, 5, 6}));
    std::optional<std::pair<std::size_t, std::monostate>> first;
    net::co_spawn(
        f.ctx, [&]() -> net::awaitable<void> { first = co_await s.next(); }, net::detached);
    f.advance(1s);
    BOOST_REQUIRE(first.has_value());
    BOOST_TEST(first->first == 0u);
    s.stop(); // leaving early: cancel_pending cancels the running operations
    f.poll();
    BOOST_TEST(aborted == 2);
  }
}

BOOST_AUTO_TEST_SUITE_END()

// herd::async_wait: the asynchronous wait(), on the manual clock.
BOOST_AUTO_TEST_SUITE(async_wait)

using herd::test::clock_fixture;
using herd::test::recorder;
using result = herd::wait_result<std::vector<herd::future<int>>>;

BOOST_AUTO_TEST_CASE(first_completed_returns_what_is_done_and_cancels_nothing)
{
  clock_fixture f;
  promises p(3);
  recorder<std::exception_ptr, result> r(f.ctx);
  herd::async_wait(p.fs, {.when = herd::return_when::first_completed}, r.handler());
  f.poll();
  BOOST_TEST(r.calls() == 0);
  p.ps[2].set_value(2);
  f.poll();
  BOOST_REQUIRE(r.calls() == 1);
  BOOST_TEST(!r.get<0>());
  BOOST_REQUIRE(r.get<1>().done.size() == 1u);
  BOOST_TEST(r.get<1>().done[0].get() == 2);
  BOOST_TEST(r.get<1>().not_done.size() == 2u);
  BOOST_TEST((p.fs[0].state() == task_state::pending)); // wait never cancels
}

BOOST_AUTO_TEST_CASE(all_completed_and_first_exception)
{
  clock_fixture f;
  promises p(3);
  recorder<std::exception_ptr, result> all(f.ctx);
  herd::async_wait(p.fs, all.handler());
  recorder<std::exception_ptr, result> exc(f.ctx);
  herd::async_wait(p.fs, {.when = herd::return_when::first_exception}, exc.handler());
  p.fs[0].cancel(); // a cancellation is not an exception
  p.ps[1].set_value(1);
  f.poll();
  BOOST_TEST(all.calls() == 0);
  BOOST_TEST(exc.calls() == 0);
  p.ps[2].set_exception(std::make_exception_ptr(test_error(1)));
  f.poll();
  BOOST_REQUIRE(exc.calls() == 1);
  BOOST_REQUIRE(all.calls() == 1);
  BOOST_TEST(exc.get<1>().done.size() == 3u);
  BOOST_TEST(all.get<1>().not_done.empty());

  // first_exception with no failure: when every input is done.
  promises q(2);
  recorder<std::exception_ptr, result> none(f.ctx);
  herd::async_wait(q.fs, {.when = herd::return_when::first_exception}, none.handler());
  q.ps[0].set_value(0);
  f.poll();
  BOOST_TEST(none.calls() == 0);
  q.ps[1].set_value(1);
  f.poll();
  BOOST_TEST(none.calls() == 1);
}

BOOST_AUTO_TEST_CASE(timeout_empty_input_maps_and_variadic_positions)
{
  clock_fixture f;
  promises p(2);
  recorder<std::exception_ptr, result> r(f.ctx);
  herd::async_wait(p.fs, {.timeout = 2s}, r.handler());
  f.advance(1s);
  BOOST_TEST(r.calls() == 0);
  f.advance(1s);
  BOOST_REQUIRE(r.calls() == 1);
  BOOST_CHECK_THROW(std::rethrow_exception(r.get<0>()), herd::timeout_error);
  BOOST_TEST((p.fs[0].state() == task_state::pending)); // nothing cancelled

  std::vector<herd::future<int>> none;
  recorder<std::exception_ptr, result> e(f.ctx);
  herd::async_wait(none, e.handler());
  f.poll();
  BOOST_TEST(e.calls() == 1);

  std::map<std::string, herd::future<int>> m{{"x", herd::make_ready_future(1)}, {"y", p.fs[1]}};
  recorder<std::exception_ptr, herd::wait_result<std::map<std::string, herd::future<int>>>> mr(f.ctx);
  herd::async_wait(m, {.when = herd::return_when::first_completed}, mr.handler());
  f.poll();
  BOOST_REQUIRE(mr.calls() == 1);
  BOOST_TEST(mr.get<1>().done.count("x") == 1u);
  BOOST_TEST(mr.get<1>().not_done.count("y") == 1u);

  herd::promise<std::string> s;
  recorder<std::exception_ptr, herd::wait_result<std::vector<std::size_t>>> v(f.ctx);
  herd::async_wait(s.get_future(), herd::make_ready_future(), herd::wait_options{.when = herd::return_when::first_completed},
                   v.handler());
  f.poll();
  BOOST_REQUIRE(v.calls() == 1);
  BOOST_TEST(v.get<1>().done == std::vector<std::size_t>{1});
  BOOST_TEST(v.get<1>().not_done == std::vector<std::size_t>{0});
}

BOOST_AUTO_TEST_CASE(variadic_async_wait_takes_asio_operations_and_never_cancels_them)
{
  clock_fixture f;
  herd::promise<int> p;
  auto fp = p.get_future();
  herd::timer soon(f.ex), late(f.ex);
  soon.expires_after(1s);
  late.expires_after(5s);
  int late_aborted = 0;
  auto late_op = late.async_wait(net::deferred)(net::deferred(async_inputs::abort_observer{&late_aborted}));
  recorder<std::exception_ptr, herd::wait_result<std::vector<std::size_t>>> r(f.ctx);
  herd::async_wait(fp, soon.async_wait(net::deferred), std::move(late_op),
                   herd::wait_options{.when = herd::return_when::first_completed}, r.handler());
  f.advance(1s);
  BOOST_REQUIRE(r.calls() == 1);
  BOOST_TEST(r.get<1>().done == std::vector<std::size_t>{1});
  BOOST_TEST(r.get<1>().not_done == (std::vector<std::size_t>{0, 2}));
  BOOST_TEST((fp.state() == task_state::pending)); // nothing cancelled
  f.advance(4s);
  BOOST_TEST(late_aborted == 0); // the late timer ran to its end
}

BOOST_AUTO_TEST_CASE(progress_reports_every_completion_in_the_async_forms)
{
  clock_fixture f;
  promises p(3);
  std::vector<std::pair<std::size_t, std::size_t>> calls;
  herd::gather_options o;
  o.progress = [&](std::size_t done, std::size_t total, std::chrono::duration<double>) { calls.emplace_back(done, total); };
  recorder<std::exception_ptr, std::vector<int>> r(f.ctx);
  herd::async_gather(p.fs, o, r.handler());
  for (int i = 0; i < 3; ++i)
  {
    p.ps[i].set_value(i);
    f.poll();
  }
  BOOST_REQUIRE(r.calls() == 1);
  BOOST_REQUIRE(!calls.empty());
  BOOST_TEST(calls.back().first == 3u); // the final call: done == total
  BOOST_TEST(calls.back().second == 3u);
  for (std::size_t i = 1; i < calls.size(); ++i)
    BOOST_TEST(calls[i].first >= calls[i - 1].first);

  promises q(2);
  std::size_t last = 0;
  herd::wait_options w;
  w.progress = [&](std::size_t done, std::size_t, std::chrono::duration<double>) { last = done; };
  recorder<std::exception_ptr, result> wr(f.ctx);
  herd::async_wait(q.fs, w, wr.handler());
  q.ps[0].set_value(0);
  q.ps[1].set_value(1);
  f.poll();
  BOOST_REQUIRE(wr.calls() == 1);
  BOOST_TEST(last == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
