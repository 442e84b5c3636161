// Tests of herd/clock.hpp and herd/testing/manual_clock.hpp.
#include "test_support.hpp"

#include <herd/clock.hpp>
#include <herd/testing/manual_clock.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>
#include <thread>
#include <vector>

namespace net = boost::asio;
using namespace std::chrono_literals;
using herd::test::clock_fixture;
using herd::test::recorder;
using ec_t = boost::system::error_code;

BOOST_AUTO_TEST_SUITE(clock_and_timer)

BOOST_AUTO_TEST_CASE(system_clock_is_the_default_and_real)
{
  net::io_context ctx;
  BOOST_TEST(&herd::clock_of(ctx.get_executor()) == &herd::system_clock());
  BOOST_TEST(!herd::system_clock().is_virtual());
  const auto a = herd::system_clock().now();
  const auto b = std::chrono::steady_clock::now();
  BOOST_TEST((b >= a));

  // A system-clock timer is a real steady_timer: a zero delay fires on run().
  herd::timer t(ctx.get_executor());
  t.expires_after(0ms);
  recorder<ec_t> r(ctx);
  t.async_wait(r.handler());
  BOOST_TEST(r.calls() == 0);
  ctx.run();
  BOOST_TEST(r.calls() == 1);
  BOOST_TEST(!r.get());
}

BOOST_AUTO_TEST_CASE(use_clock_installs_per_context)
{
  clock_fixture f;
  net::io_context other;
  BOOST_TEST(&herd::clock_of(f.ex) == &f.clock);
  BOOST_TEST(&herd::clock_of(net::make_strand(f.ctx)) == &f.clock);
  BOOST_TEST(&herd::clock_of(other.get_executor()) == &herd::system_clock());
  BOOST_TEST(f.clock.is_virtual());
}

BOOST_AUTO_TEST_CASE(time_stands_still_until_advanced)
{
  clock_fixture f;
  const auto t0 = f.clock.now();
  std::this_thread::yield();
  BOOST_TEST((f.clock.now() == t0));
  f.clock.advance(1500ms);
  BOOST_TEST((f.clock.now() - t0 == 1500ms));
  f.clock.advance_to(t0 + 1s); // in the past: no-op
  BOOST_TEST((f.clock.now() - t0 == 1500ms));
  BOOST_CHECK_THROW(f.clock.advance(-1ms), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(timers_fire_in_deadline_order_at_their_deadlines)
{
  clock_fixture f;
  std::vector<std::pair<int, double>> fired;
  std::vector<std::unique_ptr<herd::timer>> timers;
  // Armed out of order; two share a deadline (fire in arming order).
  const std::vector<std::pair<int, herd::duration>> plan = {{1, 30s}, {2, 10s}, {3, 20s}, {4, 10s}, {5, 90s}};
  for (auto [id, d] : plan)
  {
    timers.push_back(std::make_unique<herd::timer>(f.ex));
    timers.back()->expires_after(d);
    timers.back()->async_wait(
        [&, id = id](ec_t ec)
        {
          BOOST_TEST(!ec);
          fired.emplace_back(id, f.elapsed());
        });
  }
  BOOST_TEST(f.poll() == 0u);
  BOOST_TEST(f.clock.pending() == 5u);
  BOOST_TEST((f.clock.next_deadline() == f.start + 10s));
  f.advance(60s);
  const std::vector<std::pair<int, double>> want = {{2, 10.0}, {4, 10.0}, {3, 20.0}, {1, 30.0}};
  BOOST_TEST(fired == want);
  BOOST_TEST(f.clock.pending() == 1u);
  BOOST_TEST(f.elapsed() == 60.0);
}

BOOST_AUTO_TEST_CASE(chained_timers_fire_at_exact_virtual_times)
{
  // Each firing arms the next timer: with settle, all run in one advance.
  clock_fixture f;
  herd::timer t(f.ex);
  std::vector<double> at;
  std::function<void(ec_t)> again = [&](ec_t ec)
  {
    if (ec)
      return;
    at.push_back(f.elapsed());
    if (at.size() < 4)
    {
      t.expires_after(std::chrono::seconds(at.size()));
      t.async_wait(again);
    }
  };
  t.expires_after(1s);
  t.async_wait(again);
  f.advance(100s);
  const std::vector<double> want = {1, 2, 4, 7};
  BOOST_TEST(at == want);
}

BOOST_AUTO_TEST_CASE(cancel_and_expiry_change_abort_waits)
{
  clock_fixture f;
  herd::timer t(f.ex);
  t.expires_after(5s);
  recorder<ec_t> a(f.ctx), b(f.ctx);
  t.async_wait(a.handler());
  t.async_wait(b.handler());
  BOOST_TEST(t.cancel() == 2u);
  f.poll();
  BOOST_TEST(a.calls() == 1);
  BOOST_TEST(b.calls() == 1);
  BOOST_TEST((a.get() == net::error::operation_aborted));
  BOOST_TEST(f.clock.pending() == 0u);

  recorder<ec_t> c(f.ctx);
  t.async_wait(c.handler());
  t.expires_after(1s); // like steady_timer: cancels the pending wait
  f.poll();
  BOOST_TEST((c.get() == net::error::operation_aborted));

  // A deadline already passed fires at once (through the executor).
  recorder<ec_t> d(f.ctx);
  t.expires_at(f.clock.now() - 1s);
  t.async_wait(d.handler());
  BOOST_TEST(d.calls() == 0);
  f.poll();
  BOOST_TEST(d.calls() == 1);
  BOOST_TEST(!d.get());
}

BOOST_AUTO_TEST_CASE(slot_cancellation_aborts_one_wait)
{
  clock_fixture f;
  herd::timer t(f.ex);
  t.expires_after(5s);
  net::cancellation_signal sig;
  recorder<ec_t> a(f.ctx), b(f.ctx);
  t.async_wait(net::bind_cancellation_slot(sig.slot(), a.handler()));
  t.async_wait(b.handler());
  sig.emit(net::cancellation_type::terminal);
  f.poll();
  BOOST_TEST(a.calls() == 1);
  BOOST_TEST((a.get() == net::error::operation_aborted));
  BOOST_TEST(b.calls() == 0);
  f.advance(5s);
  BOOST_TEST(b.calls() == 1);
  BOOST_TEST(!b.get());
}

BOOST_AUTO_TEST_CASE(destroying_a_timer_aborts_its_waits)
{
  clock_fixture f;
  recorder<ec_t> a(f.ctx);
  {
    herd::timer t(f.ex);
    t.expires_after(5s);
    t.async_wait(a.handler());
  }
  f.poll();
  BOOST_TEST(a.calls() == 1);
  BOOST_TEST((a.get() == net::error::operation_aborted));
  BOOST_TEST(f.clock.pending() == 0u);
}

BOOST_AUTO_TEST_CASE(wait_pending_sees_timers_armed_on_other_threads)
{
  herd::testing::manual_clock clock;
  net::io_context ctx;
  herd::use_clock(ctx, clock);
  herd::timer t(ctx.get_executor());
  std::thread th(
      [&]
      {
        t.expires_after(1s);
        t.async_wait([](ec_t) {});
      });
  BOOST_TEST(clock.wait_pending(1));
  th.join();
  clock.advance(1s);
  BOOST_TEST(ctx.run() == 1u);
  BOOST_TEST(!clock.wait_pending(2, 1ms));
}

BOOST_AUTO_TEST_SUITE_END()
