// Tests of herd/sync/*.hpp: semaphore, capacity_limiter, async_mutex, event,
// barrier, wait_group. Timed behaviour runs on the manual clock.
#include "test_support.hpp"

#include <herd/sync/async_mutex.hpp>
#include <herd/sync/barrier.hpp>
#include <herd/sync/capacity_limiter.hpp>
#include <herd/sync/event.hpp>
#include <herd/sync/semaphore.hpp>
#include <herd/sync/wait_group.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>
#include <random>
#include <thread>

namespace net = boost::asio;
using namespace std::chrono_literals;
using herd::test::clock_fixture;
using herd::test::message_names;
using herd::test::recorder;
using ec_t = boost::system::error_code;

BOOST_AUTO_TEST_SUITE(semaphore)

BOOST_AUTO_TEST_CASE(invalid_arguments_are_named)
{
  net::io_context ctx;
  try
  {
    herd::semaphore s(ctx.get_executor(), 3, 2);
    BOOST_FAIL("initial > max accepted");
  }
  catch (const std::invalid_argument& e)
  {
    BOOST_TEST(message_names(e, "initial"));
  }
  try
  {
    herd::semaphore s(net::any_io_executor(), 1);
    BOOST_FAIL("empty executor accepted");
  }
  catch (const std::invalid_argument& e)
  {
    BOOST_TEST(message_names(e, "ex"));
  }
}

BOOST_AUTO_TEST_CASE(try_acquire_release_and_max)
{
  net::io_context ctx;
  herd::semaphore s(ctx.get_executor(), 2, 3);
  BOOST_TEST(s.available() == 2u);
  BOOST_TEST(s.max() == 3u);
  BOOST_TEST(s.try_acquire());
  BOOST_TEST(s.try_acquire());
  BOOST_TEST(!s.try_acquire());
  s.release(3);
  BOOST_TEST(s.available() == 3u);
  try
  {
    s.release();
    BOOST_FAIL("release past max accepted");
  }
  catch (const std::logic_error& e)
  {
    BOOST_TEST(message_names(e, "maximum"));
  }
  BOOST_TEST(s.available() == 3u); // nothing changed
}

BOOST_AUTO_TEST_CASE(acquire_completes_through_the_executor_in_fifo_order)
{
  clock_fixture f;
  herd::semaphore s(f.ex, 1);
  recorder<ec_t> first(f.ctx);
  s.async_acquire(first.handler());
  BOOST_TEST(first.calls() == 0); // never inside the initiating call
  f.poll();
  BOOST_TEST(first.calls() == 1);
  BOOST_TEST(s.available() == 0u);

  std::vector<int> order;
  for (int i = 0; i < 3; ++i)
    s.async_acquire(net::bind_executor(f.ctx,
                                       [&order, i](ec_t ec)
                                       {
                                         BOOST_TEST(!ec);
                                         order.push_back(i);
                                       }));
  f.poll();
  BOOST_TEST(s.waiting() == 3u);
  for (int i = 0; i < 3; ++i)
  {
    s.release();
    BOOST_TEST(!s.try_acquire()); // the permit went to the oldest waiter: no barging
    f.poll();
    BOOST_TEST(order.size() == std::size_t(i + 1));
  }
  BOOST_TEST((order == std::vector<int>{0, 1, 2}));
  s.release();
  BOOST_TEST(s.available() == 1u);
}

BOOST_AUTO_TEST_CASE(cancelled_wait_leaves_no_trace)
{
  clock_fixture f;
  herd::semaphore s(f.ex, 0);
  net::cancellation_signal sig;
  recorder<ec_t> cancelled(f.ctx), next(f.ctx);
  s.async_acquire(net::bind_cancellation_slot(sig.slot(), cancelled.handler()));
  s.async_acquire(next.handler());
  BOOST_TEST(s.waiting() == 2u);
  sig.emit(net::cancellation_type::terminal);
  f.poll();
  BOOST_TEST(cancelled.calls() == 1);
  BOOST_TEST((cancelled.get() == net::error::operation_aborted));
  BOOST_TEST(s.waiting() == 1u);
  s.release();
  f.poll();
  BOOST_TEST(next.calls() == 1);
  BOOST_TEST(!next.get());
  BOOST_TEST(s.available() == 0u);
  // With the queue empty again, a release is a free permit.
  s.release();
  BOOST_TEST(s.available() == 1u);
  BOOST_TEST(s.try_acquire());
}

BOOST_AUTO_TEST_CASE(timed_acquire_returns_false_at_the_deadline)
{
  clock_fixture f;
  herd::semaphore s(f.ex, 0);
  recorder<ec_t, bool> timed(f.ctx), granted(f.ctx), cancelled(f.ctx);
  s.async_acquire_for(5s, timed.handler());
  s.async_acquire_for(10s, granted.handler());
  net::cancellation_signal sig;
  s.async_acquire_for(10s, net::bind_cancellation_slot(sig.slot(), cancelled.handler()));
  f.advance(4999ms);
  BOOST_TEST(timed.calls() == 0);
  f.advance(1ms);
  BOOST_TEST(timed.calls() == 1);
  BOOST_TEST(!timed.get<0>());
  BOOST_TEST(!timed.get<1>());
  BOOST_TEST(s.waiting() == 2u); // the timed-out wait left the queue
  s.release();                   // goes to the next waiter, not the gone one
  f.poll();
  BOOST_TEST(granted.calls() == 1);
  BOOST_TEST(granted.get<1>());
  sig.emit(net::cancellation_type::terminal);
  f.poll();
  BOOST_TEST(cancelled.calls() == 1);
  BOOST_TEST((cancelled.get<0>() == net::error::operation_aborted));
  BOOST_TEST(!cancelled.get<1>());
  BOOST_TEST(f.clock.pending() == 0u); // no timer left behind
  BOOST_TEST(s.waiting() == 0u);
  BOOST_TEST(s.available() == 0u);
}

BOOST_AUTO_TEST_CASE(permit_releases_when_destroyed)
{
  clock_fixture f;
  herd::semaphore s(f.ex, 1);
  recorder<ec_t, herd::semaphore::permit> r(f.ctx);
  s.async_acquire_permit(r.handler());
  f.poll();
  BOOST_TEST(r.calls() == 1);
  BOOST_TEST(s.available() == 0u);
  {
    herd::semaphore::permit p = std::move(std::get<1>(r.s->args));
    BOOST_TEST(!std::get<1>(r.s->args)); // moved from
    BOOST_TEST(bool(p));
  }
  BOOST_TEST(s.available() == 1u);
}

HERD_CO_TEST_CASE(acquire_with_use_awaitable)
{
  auto ex = co_await net::this_coro::executor;
  herd::semaphore s(ex, 1);
  co_await s.async_acquire(net::use_awaitable);
  BOOST_TEST(s.available() == 0u);
  s.release();
  {
    auto p = co_await s.async_acquire_permit(net::use_awaitable);
    BOOST_TEST(bool(p));
    BOOST_TEST(s.available() == 0u);
  }
  BOOST_TEST(s.available() == 1u);
  BOOST_TEST(co_await s.async_acquire_for(1s, net::use_awaitable));
  s.release();
}

BOOST_AUTO_TEST_CASE(destroying_the_semaphore_aborts_waits)
{
  clock_fixture f;
  recorder<ec_t> r(f.ctx);
  {
    herd::semaphore s(f.ex, 0);
    s.async_acquire(r.handler());
  }
  f.poll();
  BOOST_TEST(r.calls() == 1);
  BOOST_TEST((r.get() == net::error::operation_aborted));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(capacity_limiter)

BOOST_AUTO_TEST_CASE(total_must_be_positive)
{
  net::io_context ctx;
  try
  {
    herd::capacity_limiter l(ctx.get_executor(), 0);
    BOOST_FAIL("total 0 accepted");
  }
  catch (const std::invalid_argument& e)
  {
    BOOST_TEST(message_names(e, "total"));
  }
  herd::capacity_limiter l(ctx.get_executor(), 1);
  BOOST_CHECK_THROW(l.set_total(0), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(set_total_takes_effect_at_once)
{
  clock_fixture f;
  herd::capacity_limiter l(f.ex, 2);
  BOOST_TEST(l.try_acquire());
  BOOST_TEST(l.try_acquire());
  BOOST_TEST(l.borrowed() == 2u);
  recorder<ec_t> a(f.ctx), b(f.ctx), c(f.ctx);
  l.async_acquire(a.handler());
  l.async_acquire(b.handler());
  l.async_acquire(c.handler());
  f.poll();
  BOOST_TEST(l.waiting() == 3u);

  l.set_total(4); // two waiters in at once
  f.poll();
  BOOST_TEST(a.calls() == 1);
  BOOST_TEST(b.calls() == 1);
  BOOST_TEST(c.calls() == 0);
  BOOST_TEST(l.borrowed() == 4u);
  BOOST_TEST(l.total() == 4u);

  l.set_total(1); // below what is borrowed: nobody in until 4 come back
  BOOST_TEST(l.borrowed() == 4u);
  l.release();
  l.release();
  l.release();
  f.poll();
  BOOST_TEST(c.calls() == 0);
  BOOST_TEST(l.borrowed() == 1u);
  l.release();
  f.poll();
  BOOST_TEST(c.calls() == 1);
  BOOST_TEST(l.borrowed() == 1u);
  BOOST_TEST(l.available() == 0u);
  l.release();
  BOOST_TEST(l.available() == 1u);
  BOOST_CHECK_THROW(l.release(), std::logic_error);
  BOOST_TEST(l.borrowed() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(async_mutex)

BOOST_AUTO_TEST_CASE(lock_unlock_fifo_and_errors)
{
  clock_fixture f;
  herd::async_mutex m(f.ex);
  BOOST_CHECK_THROW(m.unlock(), std::logic_error);
  BOOST_TEST(m.try_lock());
  BOOST_TEST(m.is_locked());
  BOOST_TEST(!m.try_lock());
  std::vector<int> order;
  for (int i = 0; i < 3; ++i)
    m.async_lock(net::bind_executor(f.ctx,
                                    [&order, i](ec_t ec)
                                    {
                                      BOOST_TEST(!ec);
                                      order.push_back(i);
                                    }));
  f.poll();
  BOOST_TEST(m.waiting() == 3u);
  for (int i = 0; i < 3; ++i)
  {
    m.unlock();
    f.poll();
  }
  BOOST_TEST((order == std::vector<int>{0, 1, 2}));
  BOOST_TEST(m.is_locked());
  m.unlock();
  BOOST_TEST(!m.is_locked());
}

BOOST_AUTO_TEST_CASE(timed_lock_and_guard)
{
  clock_fixture f;
  herd::async_mutex m(f.ex);
  recorder<ec_t, herd::async_mutex::guard> g(f.ctx);
  m.async_lock_guard(g.handler());
  f.poll();
  BOOST_TEST(m.is_locked());
  recorder<ec_t, bool> timed(f.ctx);
  m.async_lock_for(2s, timed.handler());
  f.advance(2s);
  BOOST_TEST(timed.calls() == 1);
  BOOST_TEST(!timed.get<1>());
  BOOST_TEST(m.waiting() == 0u);
  std::get<1>(g.s->args).release(); // the guard unlocks
  BOOST_TEST(!m.is_locked());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(event)

BOOST_AUTO_TEST_CASE(set_wakes_all_and_stays_set_until_cleared)
{
  clock_fixture f;
  herd::event e(f.ex);
  BOOST_TEST(!e.is_set());
  recorder<ec_t> a(f.ctx), b(f.ctx);
  e.async_wait(a.handler());
  e.async_wait(b.handler());
  f.poll();
  BOOST_TEST(a.calls() == 0);
  BOOST_TEST(e.waiting() == 2u);
  e.set();
  f.poll();
  BOOST_TEST(a.calls() == 1);
  BOOST_TEST(b.calls() == 1);
  recorder<ec_t> c(f.ctx);
  e.async_wait(c.handler());
  f.poll();
  BOOST_TEST(c.calls() == 1); // set: passes at once
  e.clear();
  recorder<ec_t, bool> timed(f.ctx);
  e.async_wait_for(3s, timed.handler());
  f.advance(3s);
  BOOST_TEST(timed.calls() == 1);
  BOOST_TEST(!timed.get<1>());
  BOOST_TEST(e.waiting() == 0u);
}

BOOST_AUTO_TEST_CASE(cancelled_wait_is_removed)
{
  clock_fixture f;
  herd::event e(f.ex);
  net::cancellation_signal sig;
  recorder<ec_t> a(f.ctx);
  e.async_wait(net::bind_cancellation_slot(sig.slot(), a.handler()));
  sig.emit(net::cancellation_type::terminal);
  f.poll();
  BOOST_TEST((a.get() == net::error::operation_aborted));
  BOOST_TEST(e.waiting() == 0u);
  e.set();
  f.poll();
  BOOST_TEST(a.calls() == 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(barrier)

BOOST_AUTO_TEST_CASE(arrival_indices_and_reuse)
{
  clock_fixture f;
  BOOST_CHECK_THROW(herd::barrier(f.ex, 0), std::invalid_argument);
  herd::barrier b(f.ex, 3);
  for (int phase = 0; phase < 2; ++phase)
  {
    std::vector<recorder<ec_t, std::size_t>> rs{recorder<ec_t, std::size_t>(f.ctx), recorder<ec_t, std::size_t>(f.ctx),
                                                recorder<ec_t, std::size_t>(f.ctx)};
    b.async_arrive_and_wait(rs[0].handler());
    b.async_arrive_and_wait(rs[1].handler());
    f.poll();
    BOOST_TEST(rs[0].calls() == 0);
    BOOST_TEST(b.arrived() == 2u);
    b.async_arrive_and_wait(rs[2].handler());
    f.poll();
    for (std::size_t i = 0; i < 3; ++i)
    {
      BOOST_TEST(rs[i].calls() == 1);
      BOOST_TEST(!rs[i].get<0>());
      BOOST_TEST(rs[i].get<1>() == i);
    }
    BOOST_TEST(b.arrived() == 0u);
  }
}

BOOST_AUTO_TEST_CASE(withdrawn_arrivals_do_not_count)
{
  clock_fixture f;
  herd::barrier b(f.ex, 2);
  net::cancellation_signal sig;
  recorder<ec_t, std::size_t> cancelled(f.ctx), x(f.ctx), y(f.ctx);
  recorder<ec_t, std::optional<std::size_t>> timed(f.ctx);
  b.async_arrive_and_wait(net::bind_cancellation_slot(sig.slot(), cancelled.handler()));
  sig.emit(net::cancellation_type::terminal);
  f.poll();
  BOOST_TEST((cancelled.get<0>() == net::error::operation_aborted));
  b.async_arrive_and_wait_for(1s, timed.handler());
  f.advance(1s);
  BOOST_TEST(timed.calls() == 1);
  BOOST_TEST(!timed.get<1>().has_value());
  BOOST_TEST(b.arrived() == 0u);
  b.async_arrive_and_wait(x.handler());
  b.async_arrive_and_wait(y.handler());
  f.poll();
  BOOST_TEST(x.get<1>() == 0u);
  BOOST_TEST(y.get<1>() == 1u);
}

BOOST_AUTO_TEST_CASE(destroyed_barrier_is_broken)
{
  clock_fixture f;
  recorder<ec_t, std::size_t> r(f.ctx);
  {
    herd::barrier b(f.ex, 2);
    b.async_arrive_and_wait(r.handler());
  }
  f.poll();
  BOOST_TEST((r.get<0>() == herd::errc::broken_barrier));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(wait_group)

BOOST_AUTO_TEST_CASE(completes_when_the_count_reaches_zero)
{
  clock_fixture f;
  herd::wait_group g(f.ex);
  recorder<ec_t> zero(f.ctx);
  g.async_wait(zero.handler());
  f.poll();
  BOOST_TEST(zero.calls() == 1);
  g.add(2);
  recorder<ec_t> w(f.ctx);
  g.async_wait(w.handler());
  g.done();
  f.poll();
  BOOST_TEST(w.calls() == 0);
  BOOST_TEST(g.count() == 1u);
  recorder<ec_t, bool> timed(f.ctx);
  g.async_wait_for(1s, timed.handler());
  f.advance(1s);
  BOOST_TEST(!timed.get<1>());
  g.done();
  f.poll();
  BOOST_TEST(w.calls() == 1);
  BOOST_CHECK_THROW(g.done(), std::logic_error);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(sync_stress)

// 64 coroutines on 4 threads contend for 3 permits, and randomly cancel or
// time out their waits. Afterwards every permit is back, nobody waits, and
// no more than 3 ever held a permit at once.
BOOST_AUTO_TEST_CASE(random_cancellation_accounts_for_every_permit, *boost::unit_test::timeout(300))
{
  constexpr int coroutines = 64;
  constexpr int rounds = 150;
  constexpr std::size_t permits = 3;
  net::thread_pool pool(4);
  herd::semaphore sem(pool.get_executor(), permits, permits);
  std::atomic<int> holders{0}, peak{0}, acquired{0}, gave_up{0}, finished{0};
  for (int c = 0; c < coroutines; ++c)
  {
    auto strand = net::make_strand(pool.get_executor());
    net::co_spawn(
        strand,
        [&, c, strand]() -> net::awaitable<void>
        {
          std::minstd_rand rng(static_cast<unsigned>(c) * 7919u + 1u);
          for (int i = 0; i < rounds; ++i)
          {
            bool got = false;
            switch (rng() % 3)
            {
            case 0: // cancelled soon after it starts waiting
            {
              net::cancellation_signal sig;
              net::post(strand, [&sig] { sig.emit(net::cancellation_type::terminal); });
              auto [ec] = co_await sem.async_acquire(
                  net::bind_cancellation_slot(sig.slot(), net::as_tuple(net::use_awaitable)));
              got = !ec;
              break;
            }
            case 1: // a very short deadline
            {
              auto [ec, ok] = co_await sem.async_acquire_for(std::chrono::microseconds(rng() % 50),
                                                             net::as_tuple(net::use_awaitable));
              got = !ec && ok;
              break;
            }
            default:
              co_await sem.async_acquire(net::use_awaitable);
              got = true;
            }
            if (!got)
            {
              ++gave_up;
              continue;
            }
            const int now = ++holders;
            int p = peak.load();
            while (now > p && !peak.compare_exchange_weak(p, now))
            {
            }
            ++acquired;
            co_await net::post(strand, net::use_awaitable); // hold it across a suspension
            --holders;
            sem.release();
          }
          ++finished;
        },
        [](std::exception_ptr e)
        {
          if (e)
            std::rethrow_exception(e);
        });
  }
  pool.join();
  BOOST_TEST(finished.load() == coroutines);
  BOOST_TEST(sem.available() == permits);
  BOOST_TEST(sem.waiting() == 0u);
  BOOST_TEST(peak.load() <= int(permits));
  BOOST_TEST(peak.load() >= 1);
  BOOST_TEST(acquired.load() + gave_up.load() == coroutines * rounds);
  BOOST_TEST(gave_up.load() > 0);
}

BOOST_AUTO_TEST_SUITE_END()
