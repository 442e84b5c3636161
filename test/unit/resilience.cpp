// Tests of herd/retry.hpp, herd/circuit_breaker.hpp, herd/rate_limiter.hpp
// and herd/timeout.hpp, on the manual clock.
#include "test_support.hpp"

#include <herd/circuit_breaker.hpp>
#include <herd/gather.hpp>
#include <herd/rate_limiter.hpp>
#include <herd/retry.hpp>
#include <herd/timeout.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>
#include <random>
#include <set>

namespace net = boost::asio;
using namespace std::chrono_literals;
using herd::test::clock_fixture;
using herd::test::message_names;
using herd::test::recorder;
using ec_t = boost::system::error_code;

namespace
{

// An operation that completes (through ex) with ec and v.
auto op_result(const net::any_io_executor& ex, ec_t ec, int v)
{
  return net::post(ex, net::deferred([ec, v] { return net::deferred.values(ec, v); }));
}

auto op_exception(const net::any_io_executor& ex, std::exception_ptr e, int v)
{
  return net::post(ex, net::deferred([e, v] { return net::deferred.values(e, v); }));
}

ec_t error_n(int n) { return ec_t(n, boost::system::generic_category()); }

} // namespace

BOOST_AUTO_TEST_SUITE(retry)

BOOST_AUTO_TEST_CASE(invalid_policies_name_the_field)
{
  const std::vector<std::pair<herd::retry_policy, const char*>> bad = {
      {herd::retry_policy{.max_attempts = 0}, "max_attempts"},
      {herd::retry_policy{.max_attempts = 2, .multiplier = 0.5}, "multiplier"},
      {herd::retry_policy{.max_attempts = 2, .jitter = 1.5}, "jitter"},
      {herd::retry_policy{.max_attempts = 2, .initial = -1s}, "initial"},
      {herd::retry_policy{.max_attempts = 2, .max_delay = -1s}, "max_delay"},
  };
  for (const auto& [p, name] : bad)
  {
    try
    {
      p.validate();
      BOOST_ERROR("accepted a bad " << name);
    }
    catch (const std::invalid_argument& e)
    {
      BOOST_TEST(message_names(e, name));
    }
  }
}

BOOST_AUTO_TEST_CASE(delays_step_by_step)
{
  using ms = std::chrono::milliseconds;
  auto delays = [](const herd::retry_policy& p, std::size_t n)
  {
    std::vector<long> out;
    for (std::size_t i = 1; i <= n; ++i)
      out.push_back(std::chrono::duration_cast<ms>(p.delay_before(i)).count());
    return out;
  };
  BOOST_TEST(delays(herd::retry_policy::fixed(5, 100ms), 4) == (std::vector<long>{100, 100, 100, 100}));
  BOOST_TEST(delays(herd::retry_policy::linear(5, 100ms), 4) == (std::vector<long>{100, 200, 300, 400}));
  BOOST_TEST(delays(herd::retry_policy::exponential(6, 100ms), 5) == (std::vector<long>{100, 200, 400, 800, 1600}));
  BOOST_TEST(delays(herd::retry_policy::exponential(4, 100ms, 3), 3) == (std::vector<long>{100, 300, 900}));
  BOOST_TEST(delays(herd::retry_policy::fibonacci(8, 100ms), 7) ==
             (std::vector<long>{100, 100, 200, 300, 500, 800, 1300}));
  herd::retry_policy capped = herd::retry_policy::exponential(40, 1s);
  capped.max_delay = 5s;
  BOOST_TEST(delays(capped, 5) == (std::vector<long>{1000, 2000, 4000, 5000, 5000}));
  BOOST_TEST(capped.delay_before(39) == 5s); // no overflow far out
  BOOST_TEST(herd::retry_policy{}.max_attempts == 1u);
}

BOOST_AUTO_TEST_CASE(jitter_draws_within_the_band)
{
  herd::retry_policy p = herd::retry_policy::fixed(3, 1000ms);
  p.jitter = 0.25;
  std::minstd_rand g(42);
  std::set<long> seen;
  for (int i = 0; i < 200; ++i)
  {
    const auto d = std::chrono::duration_cast<std::chrono::microseconds>(p.delay_before(1, g)).count();
    BOOST_TEST(d >= 750000);
    BOOST_TEST(d <= 1000000);
    seen.insert(d);
  }
  BOOST_TEST(seen.size() > 100u);
}

BOOST_AUTO_TEST_CASE(retry_on_matches_types_and_their_bases)
{
  auto pred = herd::retry_on<std::runtime_error, herd::timeout_error>();
  BOOST_TEST(pred(std::make_exception_ptr(std::range_error("derived from runtime_error"))));
  BOOST_TEST(pred(std::make_exception_ptr(herd::timeout_error())));
  BOOST_TEST(!pred(std::make_exception_ptr(std::logic_error("no"))));
  BOOST_TEST(!pred(nullptr));
}

// The acceptance case: 5 attempts, exponential from 2 s, 30 s of backoff in all.
BOOST_AUTO_TEST_CASE(five_exponential_attempts_in_virtual_time)
{
  const auto wall0 = std::chrono::steady_clock::now();
  clock_fixture f;
  std::vector<double> at;
  recorder<ec_t, int> r(f.ctx);
  herd::async_retry(
      herd::retry_policy::exponential(5, 2s),
      [&]
      {
        at.push_back(f.elapsed());
        const int n = static_cast<int>(at.size());
        return op_result(f.ex, n < 5 ? error_n(n) : ec_t(), n);
      },
      r.handler());
  f.advance(29s);
  BOOST_TEST(r.calls() == 0);
  BOOST_TEST(at.size() == 4u);
  f.advance(1s);
  BOOST_TEST(r.calls() == 1);
  BOOST_TEST(!r.get<0>());
  BOOST_TEST(r.get<1>() == 5);
  BOOST_TEST(at == (std::vector<double>{0, 2, 6, 14, 30}));
  BOOST_TEST(f.clock.pending() == 0u);
  BOOST_TEST_MESSAGE("30 s of backoff took "
                     << std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count()
                     << " s of wall time");
}

BOOST_AUTO_TEST_CASE(last_failure_is_delivered_unchanged)
{
  clock_fixture f;
  int attempts = 0;
  recorder<ec_t, int> r(f.ctx);
  herd::async_retry(
      herd::retry_policy::fixed(3, 1s),
      [&]
      {
        ++attempts;
        return op_result(f.ex, error_n(100 + attempts), attempts);
      },
      r.handler());
  f.advance(10s);
  BOOST_TEST(attempts == 3);
  BOOST_TEST(r.calls() == 1);
  BOOST_TEST((r.get<0>() == error_n(103)));
  BOOST_TEST(r.get<1>() == 3);
}

BOOST_AUTO_TEST_CASE(rejected_failure_is_raised_at_once)
{
  clock_fixture f;
  int attempts = 0;
  auto p = herd::retry_policy::fixed(5, 1s);
  p.retry_if = herd::retry_on<std::range_error>();
  recorder<std::exception_ptr, int> r(f.ctx);
  herd::async_retry(
      p,
      [&]
      {
        ++attempts;
        return op_exception(f.ex, std::make_exception_ptr(herd::test::test_error(attempts)), 0);
      },
      r.handler());
  f.poll();
  BOOST_TEST(attempts == 1);
  BOOST_TEST(r.calls() == 1);
  BOOST_CHECK_THROW(std::rethrow_exception(r.get<0>()), herd::test::test_error);
  BOOST_TEST(f.clock.pending() == 0u);
}

BOOST_AUTO_TEST_CASE(cancellation_during_backoff_stops_at_once)
{
  clock_fixture f;
  int attempts = 0;
  net::cancellation_signal sig;
  recorder<ec_t, int> r(f.ctx);
  herd::async_retry(
      herd::retry_policy::fixed(5, 10s),
      [&]
      {
        ++attempts;
        return op_result(f.ex, error_n(1), 0);
      },
      net::bind_cancellation_slot(sig.slot(), r.handler()));
  f.poll();
  BOOST_TEST(attempts == 1);
  BOOST_TEST(f.clock.pending() == 1u); // in the backoff
  sig.emit(net::cancellation_type::terminal);
  f.poll();
  BOOST_TEST(r.calls() == 1);
  BOOST_TEST((r.get<0>() == net::error::operation_aborted));
  f.advance(60s);
  BOOST_TEST(attempts == 1);
}

HERD_CO_TEST_CASE(async_retry_with_use_awaitable)
{
  auto ex = co_await net::this_coro::executor;
  int attempts = 0;
  const int v = co_await herd::async_retry(
      herd::retry_policy::fixed(3, 0ms),
      [&]
      {
        ++attempts;
        return op_exception(ex, attempts < 2 ? std::make_exception_ptr(std::runtime_error("x")) : nullptr, 42);
      },
      net::use_awaitable);
  BOOST_TEST(v == 42);
  BOOST_TEST(attempts == 2);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(circuit_breaker)

BOOST_AUTO_TEST_CASE(invalid_options_are_named)
{
  net::io_context ctx;
  try
  {
    herd::circuit_breaker b(ctx.get_executor(), {.failure_threshold = 0});
    BOOST_FAIL("accepted");
  }
  catch (const std::invalid_argument& e)
  {
    BOOST_TEST(message_names(e, "failure_threshold"));
  }
  BOOST_CHECK_THROW(herd::circuit_breaker(ctx.get_executor(), {.half_open_successes = 0}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(closed_open_half_open_closed)
{
  clock_fixture f;
  herd::circuit_breaker b(f.ex, {.failure_threshold = 3, .reset_timeout = 30s, .half_open_successes = 2});
  BOOST_TEST((b.state() == herd::breaker_state::closed));
  b.on_failure();
  b.on_failure();
  b.on_success(); // consecutive failures only
  b.on_failure();
  b.on_failure();
  BOOST_TEST((b.state() == herd::breaker_state::closed));
  b.on_failure();
  BOOST_TEST((b.state() == herd::breaker_state::open));
  BOOST_TEST(!b.try_acquire());
  f.clock.advance(29s);
  BOOST_TEST(!b.try_acquire());
  f.clock.advance(1s);
  BOOST_TEST((b.state() == herd::breaker_state::half_open));
  BOOST_TEST(b.try_acquire());
  BOOST_TEST(b.try_acquire());
  BOOST_TEST(!b.try_acquire()); // two probes in flight at most
  b.on_success();
  BOOST_TEST((b.state() == herd::breaker_state::half_open));
  b.on_success();
  BOOST_TEST((b.state() == herd::breaker_state::closed));
}

BOOST_AUTO_TEST_CASE(half_open_failure_reopens_for_a_full_timeout)
{
  clock_fixture f;
  herd::circuit_breaker b(f.ex, {.failure_threshold = 1, .reset_timeout = 10s, .half_open_successes = 1});
  b.on_failure();
  f.clock.advance(10s);
  BOOST_TEST(b.try_acquire());
  f.clock.advance(5s);
  b.on_failure();
  BOOST_TEST((b.state() == herd::breaker_state::open));
  f.clock.advance(9s);
  BOOST_TEST((b.state() == herd::breaker_state::open));
  f.clock.advance(1s);
  BOOST_TEST((b.state() == herd::breaker_state::half_open));
}

BOOST_AUTO_TEST_CASE(async_call_fails_fast_when_open)
{
  clock_fixture f;
  herd::circuit_breaker b(f.ex, {.failure_threshold = 2, .reset_timeout = 10s, .half_open_successes = 1});
  int started = 0;
  auto call = [&](ec_t result)
  {
    recorder<ec_t, int> r(f.ctx);
    b.async_call(
        [&, result]
        {
          ++started;
          return op_result(f.ex, result, 7);
        },
        r.handler());
    f.poll();
    BOOST_TEST(r.calls() == 1);
    return r.get<0>();
  };
  BOOST_TEST((call(error_n(1)) == error_n(1)));
  BOOST_TEST((call(error_n(2)) == error_n(2)));
  BOOST_TEST((b.state() == herd::breaker_state::open));
  BOOST_TEST((call(ec_t()) == herd::errc::circuit_open));
  BOOST_TEST(started == 2); // the third was never started
  f.clock.advance(10s);
  BOOST_TEST(!call(ec_t())); // the probe succeeds and closes it
  BOOST_TEST((b.state() == herd::breaker_state::closed));

  // exception_ptr operations get circuit_open_error.
  b.on_failure();
  b.on_failure();
  recorder<std::exception_ptr, int> r(f.ctx);
  b.async_call([&] { return op_exception(f.ex, nullptr, 1); }, r.handler());
  f.poll();
  BOOST_CHECK_THROW(std::rethrow_exception(r.get<0>()), herd::circuit_open_error);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(rate_limiter)

BOOST_AUTO_TEST_CASE(invalid_arguments_are_named)
{
  net::io_context ctx;
  const std::vector<std::tuple<double, herd::duration, std::size_t, const char*>> bad = {
      {0.0, 1s, 1, "rate"}, {-1.0, 1s, 1, "rate"}, {1.0, 0s, 1, "per"}, {1.0, 1s, 0, "burst"}};
  for (const auto& [rate, per, burst, name] : bad)
  {
    try
    {
      herd::rate_limiter l(ctx.get_executor(), rate, per, burst);
      BOOST_ERROR("accepted a bad " << name);
    }
    catch (const std::invalid_argument& e)
    {
      BOOST_TEST(message_names(e, name));
    }
  }
}

BOOST_AUTO_TEST_CASE(burst_then_refill)
{
  clock_fixture f;
  herd::rate_limiter l(f.ex, 4, 1s, 2); // 4 per second, bursts of 2
  BOOST_TEST(l.try_acquire());
  BOOST_TEST(l.try_acquire());
  BOOST_TEST(!l.try_acquire());
  f.clock.advance(249ms);
  BOOST_TEST(!l.try_acquire());
  f.clock.advance(1ms);
  BOOST_TEST(l.try_acquire());
  f.clock.advance(10s); // refills to the burst, no further
  BOOST_TEST(l.try_acquire());
  BOOST_TEST(l.try_acquire());
  BOOST_TEST(!l.try_acquire());
}

// No window of length t ever admits more than burst + rate * t / per.
BOOST_AUTO_TEST_CASE(exact_over_every_window)
{
  clock_fixture f;
  const double rate = 3;
  const std::size_t burst = 4;
  herd::rate_limiter l(f.ex, rate, 1s, burst);
  std::vector<double> admitted;
  for (int i = 0; i < 40; ++i)
    l.async_acquire(net::bind_executor(f.ctx,
                                       [&](ec_t ec)
                                       {
                                         BOOST_TEST(!ec);
                                         admitted.push_back(f.elapsed());
                                       }));
  // And some try_acquire calls at odd times, which compete fairly.
  std::minstd_rand g(7);
  for (int step = 0; step < 200; ++step)
  {
    f.advance(std::chrono::milliseconds(g() % 97));
    if (g() % 3 == 0 && l.try_acquire())
      admitted.push_back(f.elapsed());
  }
  f.advance(60s);
  std::sort(admitted.begin(), admitted.end());
  BOOST_TEST(admitted.size() >= 40u);
  for (std::size_t i = 0; i < admitted.size(); ++i)
    for (std::size_t j = i; j < admitted.size(); ++j)
    {
      const double window = admitted[j] - admitted[i];
      const double allowed = double(burst) + rate * window;
      BOOST_TEST(double(j - i + 1) <= allowed + 1e-9, "window [" << admitted[i] << ", " << admitted[j] << "]");
    }
  // The queued waiters were admitted as soon as tokens were due: the first
  // burst at once, then one every 1/3 s (try_acquire calls may take some).
  BOOST_TEST(admitted[0] == 0.0);
  BOOST_TEST(admitted[burst - 1] == 0.0);
  BOOST_TEST(l.waiting() == 0u);
}

BOOST_AUTO_TEST_CASE(fifo_waiters_at_their_due_times)
{
  clock_fixture f;
  herd::rate_limiter l(f.ex, 2, 1s, 1);
  std::vector<std::pair<int, double>> got;
  net::cancellation_signal sig;
  for (int i = 0; i < 4; ++i)
  {
    auto h = net::bind_executor(f.ctx,
                                [&, i](ec_t ec)
                                {
                                  if (!ec)
                                    got.emplace_back(i, f.elapsed());
                                });
    if (i == 1)
      l.async_acquire(net::bind_cancellation_slot(sig.slot(), h));
    else
      l.async_acquire(h);
  }
  f.poll();
  sig.emit(net::cancellation_type::terminal); // waiter 1 leaves: no token spent on it
  f.advance(5s);
  BOOST_TEST((got == std::vector<std::pair<int, double>>{{0, 0.0}, {2, 0.5}, {3, 1.0}}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(timeout)

BOOST_AUTO_TEST_CASE(times_out_and_cancels_the_operation)
{
  clock_fixture f;
  herd::timer never(f.ex);
  never.expires_after(1h);
  recorder<ec_t> r(f.ctx);
  herd::with_timeout(5s, never.async_wait(net::deferred), r.handler());
  f.advance(4999ms);
  BOOST_TEST(r.calls() == 0);
  f.advance(1ms);
  BOOST_TEST(r.calls() == 1);
  BOOST_TEST((r.get() == herd::errc::timeout));
  BOOST_TEST(f.clock.pending() == 0u); // the inner wait was cancelled, not left behind
}

BOOST_AUTO_TEST_CASE(completion_before_the_deadline_wins)
{
  clock_fixture f;
  recorder<ec_t, int> r(f.ctx);
  herd::with_timeout(5s, op_result(f.ex, ec_t(), 9), r.handler());
  f.poll();
  BOOST_TEST(r.calls() == 1);
  BOOST_TEST(!r.get<0>());
  BOOST_TEST(r.get<1>() == 9);
  BOOST_TEST(f.clock.pending() == 0u);
  BOOST_CHECK_THROW(herd::with_timeout(-1s, op_result(f.ex, ec_t(), 9), r.handler()), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(awaitable_operation_gets_timeout_error)
{
  clock_fixture f;
  auto slow = [](net::any_io_executor ex) -> net::awaitable<int>
  {
    herd::timer t(ex);
    t.expires_after(1min);
    co_await t.async_wait(net::use_awaitable);
    co_return 1;
  };
  recorder<std::exception_ptr, int> r(f.ctx);
  herd::with_timeout(2s, slow(f.ex), r.handler());
  f.advance(2s);
  BOOST_TEST(r.calls() == 1);
  BOOST_CHECK_THROW(std::rethrow_exception(r.get<0>()), herd::timeout_error);
  BOOST_TEST(f.clock.pending() == 0u);
}

// The async wait forms time out on the clock of the handler's executor.
BOOST_AUTO_TEST_CASE(async_gather_times_out_in_virtual_time)
{
  clock_fixture f;
  herd::test::promises p(3);
  p.ps[0].set_value(1);
  const herd::gather_options opts{.timeout = 10s, .on_failure = herd::failure_policy::leave_pending};
  recorder<std::exception_ptr, std::vector<int>> r(f.ctx);
  herd::async_gather(p.fs, opts, r.handler());
  f.advance(9999ms);
  BOOST_TEST(r.calls() == 0);
  f.advance(1ms);
  BOOST_TEST(r.calls() == 1);
  BOOST_CHECK_THROW(std::rethrow_exception(r.get<0>()), herd::timeout_error);
  BOOST_TEST(!p.fs[1].done()); // leave_pending
}

BOOST_AUTO_TEST_CASE(fallback_value_and_operation)
{
  clock_fixture f;
  recorder<ec_t, int> a(f.ctx), b(f.ctx), c(f.ctx);
  herd::with_fallback(op_result(f.ex, error_n(5), 1), 42, a.handler());
  bool fallback_started = false;
  herd::with_fallback(op_result(f.ex, error_n(5), 1),
                      net::deferred.values() | net::deferred(
                                                   [&](auto...)
                                                   {
                                                     fallback_started = true;
                                                     return op_result(f.ex, ec_t(), 43);
                                                   }),
                      b.handler());
  herd::with_fallback(op_result(f.ex, ec_t(), 1), 42, c.handler());
  f.poll();
  BOOST_TEST(!a.get<0>());
  BOOST_TEST(a.get<1>() == 42);
  BOOST_TEST(fallback_started);
  BOOST_TEST(b.get<1>() == 43);
  BOOST_TEST(c.get<1>() == 1); // no failure, no fallback
}

BOOST_AUTO_TEST_SUITE_END()
