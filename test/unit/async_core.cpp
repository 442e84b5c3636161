// The one asynchronous-operation core (detail/async_base.hpp,
// detail/composed.hpp, detail/sync_core.hpp, detail/asio_workarounds.hpp):
// regression tests for the defects it fixes, one test each.
//
// Operations covered here (the token x operation x timing matrix is
// conformance.cpp):
//   composed: with_fallback, async_retry, circuit_breaker::async_call,
//             with_timeout, move_on_after, cancel_scope::run, hedge
//   sync:     semaphore::async_acquire(_for), event::async_wait(_for),
//             barrier::async_arrive_and_wait(_for), wait_group::async_wait(_for),
//             async_mutex::async_lock(_for), rate_limiter::async_acquire
//   futures:  future::async_wait
//   and, for where the caller's slot is cleared: herd::timer (virtual clock),
//   async_gather, stream::async_next
#include "test_support.hpp"

#include <herd/detail/asio_workarounds.hpp>

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/strand.hpp>
#include <boost/system/error_code.hpp>

#include <algorithm>
#include <atomic>
#include <future>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <stop_token>
#include <thread>

using namespace std::chrono_literals;
namespace net = boost::asio;
using boost::system::error_code;
using herd::test::clock_fixture;
using herd::test::counting_allocator;
using herd::test::recorder;
using herd::test::test_error;

namespace
{

// An operation that completes inside its own initiation (async_compose with
// no I/O object: self.complete runs in the initiating call).
template <class CompletionToken>
auto immediate(error_code ec, int v, CompletionToken&& token)
{
  return net::async_compose<CompletionToken, void(error_code, int)>([ec, v](auto& self) { self.complete(ec, v); },
                                                                    token);
}

// Ignores a cancellation during its first phase (1 s, as Beast's
// http::async_read does between two reads), honours it in its second (10 s).
struct two_phase_op
{
  herd::timer& t;
  int phase = 0;

  template <class Self>
  void operator()(Self& self, error_code ec = {})
  {
    switch (phase++)
    {
    case 0:
      t.expires_after(1s);
      t.async_wait(net::bind_cancellation_slot(net::cancellation_slot(), std::move(self)));
      return;
    case 1:
      t.expires_after(10s);
      t.async_wait(std::move(self));
      return;
    default:
      self.complete(ec, 7);
    }
  }
};

template <class CompletionToken>
auto two_phase(herd::timer& t, CompletionToken&& token)
{
  return net::async_compose<CompletionToken, void(error_code, int)>(two_phase_op{t}, token, t);
}

} // namespace

BOOST_AUTO_TEST_SUITE(async_core, *boost::unit_test::label("core"))

// --- inline completion: each composed operation over an inner operation that
// completes inside its own initiation completes, once, later, on its executor.

template <class Start>
void check_inline(Start start)
{
  net::io_context ctx;
  recorder<error_code, int> rec(ctx);
  start(ctx, rec);
  BOOST_TEST(rec.calls() == 0); // never inside the initiating call
  ctx.run();
  BOOST_TEST(rec.calls() == 1);
  BOOST_TEST(!rec.get<0>());
  BOOST_TEST(rec.get<1>() == 42);
}

BOOST_AUTO_TEST_CASE(inline_completion_never_deadlocks, *boost::unit_test::timeout(60))
{
  check_inline([](auto&, auto& rec) { herd::with_fallback(net::deferred.values(error_code{}, 42), 7, rec.handler()); });
  check_inline([](auto&, auto& rec) { herd::with_fallback(immediate({}, 42, net::deferred), 7, rec.handler()); });
  check_inline(
      [](auto&, auto& rec)
      {
        // Two inline failures, then an inline success.
        auto n = std::make_shared<int>(0);
        herd::async_retry(
            herd::retry_policy::fixed(3, 0ms),
            [n] { return immediate(++*n < 3 ? net::error::connection_reset : error_code{}, 42, net::deferred); },
            rec.handler());
      });
  check_inline(
      [](auto& ctx, auto& rec)
      {
        auto b = std::make_shared<herd::circuit_breaker>(ctx.get_executor());
        b->async_call([] { return immediate({}, 42, net::deferred); }, rec.handler());
      });
  check_inline([](auto&, auto& rec) { herd::with_timeout(10s, immediate({}, 42, net::deferred), rec.handler()); });
  check_inline([](auto&, auto& rec)
               { herd::with_timeout(10s, net::deferred.values(error_code{}, 42), rec.handler()); });
  check_inline([](auto&, auto& rec)
               { herd::hedge([] { return immediate({}, 42, net::deferred); }, 1s, 3, rec.handler()); });
}

BOOST_AUTO_TEST_CASE(inline_completion_in_scopes, *boost::unit_test::timeout(60))
{
  net::io_context ctx;
  recorder<error_code, std::optional<int>> moved(ctx);
  herd::move_on_after(10s, immediate({}, 42, net::deferred), moved.handler());
  herd::cancel_scope scope;
  recorder<error_code, int> ran(ctx);
  scope.run(immediate({}, 42, net::deferred), ran.handler());
  BOOST_TEST(moved.calls() == 0);
  BOOST_TEST(ran.calls() == 0);
  ctx.run();
  BOOST_TEST(moved.calls() == 1);
  BOOST_TEST(ran.calls() == 1);
  BOOST_TEST(!ran.get<0>());
  BOOST_TEST(ran.get<1>() == 42);
}

// --- teardown: destroying a primitive with timed and cancellable waits
// pending completes them and touches nothing afterwards (ASan proves the
// "touches nothing": a deadline that fires, or a cancellation emitted, after
// the destruction reaches only the wait's own state).

template <class Make, class Timed, class Plain>
void check_teardown(Make make, Timed timed, Plain plain, error_code expected)
{
  clock_fixture fx;
  auto prim = make(fx.ex);
  recorder<error_code, bool> t(fx.ctx);
  recorder<error_code> c(fx.ctx);
  net::cancellation_signal sig;
  timed(*prim, t.handler());
  plain(*prim, net::bind_cancellation_slot(sig.slot(), c.handler()));
  fx.clock.advance(1s); // the deadline is due: its handler is queued, not run
  prim.reset();
  sig.emit(net::cancellation_type::terminal);
  fx.advance(10s);
  BOOST_TEST(t.calls() == 1);
  BOOST_TEST(c.calls() == 1);
  BOOST_TEST(c.get<0>() == expected);
  BOOST_TEST(t.get<0>() == expected);
  BOOST_TEST(!t.get<1>());
}

BOOST_AUTO_TEST_CASE(destroying_a_primitive_with_waits_pending_is_safe, *boost::unit_test::timeout(60))
{
  const error_code aborted = net::error::operation_aborted;
  check_teardown([](auto ex) { return std::make_unique<herd::semaphore>(ex, 0); },
                 [](auto& s, auto h) { s.async_acquire_for(1s, std::move(h)); },
                 [](auto& s, auto h) { s.async_acquire(std::move(h)); }, aborted);
  check_teardown([](auto ex) { return std::make_unique<herd::capacity_limiter>(ex, 1); },
                 [](auto& s, auto h)
                 {
                   BOOST_TEST(s.try_acquire());
                   s.async_acquire_for(1s, std::move(h));
                 },
                 [](auto& s, auto h) { s.async_acquire(std::move(h)); }, aborted);
  check_teardown([](auto ex) { return std::make_unique<herd::event>(ex); },
                 [](auto& e, auto h) { e.async_wait_for(1s, std::move(h)); },
                 [](auto& e, auto h) { e.async_wait(std::move(h)); }, aborted);
  check_teardown([](auto ex) { return std::make_unique<herd::wait_group>(ex); },
                 [](auto& g, auto h)
                 {
                   g.add(1);
                   g.async_wait_for(1s, std::move(h));
                 },
                 [](auto& g, auto h) { g.async_wait(std::move(h)); }, aborted);
  check_teardown([](auto ex) { return std::make_unique<herd::async_mutex>(ex); },
                 [](auto& m, auto h)
                 {
                   BOOST_TEST(m.try_lock());
                   m.async_lock_for(1s, std::move(h));
                 },
                 [](auto& m, auto h) { m.async_lock(std::move(h)); }, aborted);
}

BOOST_AUTO_TEST_CASE(destroying_a_barrier_or_rate_limiter_with_waits_pending_is_safe, *boost::unit_test::timeout(60))
{
  {
    clock_fixture fx;
    auto b = std::make_unique<herd::barrier>(fx.ex, 3);
    recorder<error_code, std::optional<std::size_t>> t(fx.ctx);
    recorder<error_code, std::size_t> c(fx.ctx);
    net::cancellation_signal sig;
    b->async_arrive_and_wait_for(1s, t.handler());
    b->async_arrive_and_wait(net::bind_cancellation_slot(sig.slot(), c.handler()));
    fx.clock.advance(1s);
    b.reset();
    sig.emit(net::cancellation_type::terminal);
    fx.advance(10s);
    BOOST_TEST(t.calls() == 1);
    BOOST_TEST(c.calls() == 1);
    BOOST_TEST(c.get<0>() == herd::make_error_code(herd::errc::broken_barrier));
  }
  {
    clock_fixture fx;
    auto r = std::make_unique<herd::rate_limiter>(fx.ex, 1.0, 10s, 1);
    BOOST_TEST(r->try_acquire());
    recorder<error_code> c(fx.ctx);
    net::cancellation_signal sig;
    r->async_acquire(net::bind_cancellation_slot(sig.slot(), c.handler()));
    r.reset();
    sig.emit(net::cancellation_type::terminal);
    fx.advance(20s);
    BOOST_TEST(c.calls() == 1);
    BOOST_TEST(c.get<0>() == net::error::operation_aborted);
  }
}

BOOST_AUTO_TEST_CASE(destroying_a_breaker_with_a_call_in_flight_is_safe, *boost::unit_test::timeout(60))
{
  clock_fixture fx;
  auto b = std::make_unique<herd::circuit_breaker>(fx.ex, herd::breaker_options{.failure_threshold = 1});
  auto t = std::make_shared<herd::timer>(fx.ex);
  recorder<error_code> rec(fx.ctx);
  b->async_call(
      [t]
      {
        t->expires_after(1s);
        return t->async_wait(net::deferred);
      },
      rec.handler());
  b.reset();
  fx.advance(2s);
  BOOST_TEST(rec.calls() == 1);
  BOOST_TEST(!rec.get<0>());
}

// --- a throwing handler leaves run() as in plain Asio (not std::terminate),
// also when it is bound to a strand on the thread that settles the future.

BOOST_AUTO_TEST_CASE(a_throwing_handler_propagates_out_of_run, *boost::unit_test::timeout(60))
{
  net::io_context ctx;
  auto strand = net::make_strand(ctx);
  herd::promise<int> p;
  p.get_future().async_wait(net::bind_executor(strand, [](std::exception_ptr, int) { throw test_error(1); }));
  net::post(strand, [&] { p.set_value(1); }); // settles on the handler's own strand
  BOOST_CHECK_THROW(ctx.run(), test_error);

  herd::semaphore s(ctx.get_executor(), 1);
  s.async_acquire(net::bind_executor(strand, [](error_code) { throw test_error(2); }));
  ctx.restart();
  BOOST_CHECK_THROW(ctx.run(), test_error);

  herd::with_timeout(1s, immediate({}, 1, net::deferred),
                     net::bind_executor(strand, [](error_code, int) { throw test_error(3); }));
  ctx.restart();
  BOOST_CHECK_THROW(ctx.run(), test_error);
  ctx.restart();
  ctx.run(); // nothing left behind
}

// --- Boost 1.81: a coroutine cancelled before it starts (with_timeout(0ms))
// completes with the timeout instead of throwing out of run().

net::awaitable<int> slow_value(std::chrono::milliseconds d)
{
  co_await herd::test::sleep_for(d);
  co_return 1;
}

BOOST_AUTO_TEST_CASE(a_coroutine_cancelled_before_it_starts_completes, *boost::unit_test::timeout(60))
{
  clock_fixture fx;
  recorder<std::exception_ptr, int> timed(fx.ctx);
  recorder<std::exception_ptr, std::optional<int>> moved(fx.ctx);
  recorder<std::exception_ptr, int> hedged(fx.ctx);
  herd::with_timeout(0ms, slow_value(1000ms), timed.handler());
  herd::move_on_after(0ms, slow_value(1000ms), moved.handler());
  net::cancellation_signal sig;
  herd::hedge([] { return slow_value(1000ms); }, 10ms, 2, net::bind_cancellation_slot(sig.slot(), hedged.handler()));
  sig.emit(net::cancellation_type::terminal); // before the attempt's body ran
  BOOST_REQUIRE_NO_THROW(fx.advance(2s));
  BOOST_TEST(timed.calls() == 1);
  BOOST_TEST(moved.calls() == 1);
  BOOST_TEST(hedged.calls() == 1);
  BOOST_CHECK_THROW(std::rethrow_exception(timed.get<0>()), herd::timeout_error);
  BOOST_TEST(!moved.get<0>());
  BOOST_TEST(!moved.get<1>().has_value());
  BOOST_TEST(static_cast<bool>(hedged.get<0>()));
}

// The one gate (detail::spawn_gated) every coroutine herd starts goes
// through, given a cancellation before the body ran: emitted into co_spawn,
// Boost 1.81 would throw operation_aborted out of run(). With abort the
// body never runs and the handler gets operation_aborted; with to_body (the
// executor's coroutine tasks, task_group children, stream producers, which
// see their own stop request) the body runs and completes.
net::awaitable<int> count_run(int& runs)
{
  ++runs;
  co_return 7;
}

BOOST_AUTO_TEST_CASE(spawn_gated_holds_a_cancellation_that_comes_first, *boost::unit_test::timeout(60))
{
  for (auto early : {herd::detail::early_cancel::abort, herd::detail::early_cancel::to_body})
  {
    net::io_context ctx;
    net::cancellation_signal sig;
    int runs = 0;
    int calls = 0;
    int value = 0;
    std::exception_ptr error;
    herd::detail::spawn_gated(net::make_strand(ctx), count_run(runs),
                              net::bind_cancellation_slot(sig.slot(),
                                                          [&](std::exception_ptr e, int v)
                                                          {
                                                            ++calls;
                                                            error = e;
                                                            value = v;
                                                          }),
                              early);
    sig.emit(net::cancellation_type::terminal); // the body has not run yet
    BOOST_REQUIRE_NO_THROW(ctx.run());
    BOOST_TEST(calls == 1);
    if (early == herd::detail::early_cancel::abort)
    {
      BOOST_TEST(runs == 0);
      BOOST_REQUIRE(error);
      BOOST_CHECK_EXCEPTION(std::rethrow_exception(error), boost::system::system_error,
                            [](const auto& e) { return e.code() == net::error::operation_aborted; });
    }
    else
    {
      BOOST_TEST(runs == 1);
      BOOST_TEST(!error);
      BOOST_TEST(value == 7);
    }
  }
}

// The caller's signal may go before the coroutine completes: a stream
// producer's signal lived in a control block that the stream's last owner
// released while the producer's coroutine was still to be resumed after its
// body (examples/streams crashed about once in a hundred runs under load).
// Here the body runs without a context switch, so co_spawn's entry point
// posts once more before it completes; the caller's signal is destroyed
// outside run() (so Asio frees its memory instead of recycling it), then the
// coroutine resumes: its cancellation state, allocated in memory the gate's
// signal owns, must still be there. Under AddressSanitizer (CI) this was a
// heap-use-after-free in clear_cancellation_slot before spawn_gated's
// completion handler kept the gate alive; without it the read of freed
// memory goes unseen.
BOOST_AUTO_TEST_CASE(spawn_gated_outlives_the_callers_signal, *boost::unit_test::timeout(60))
{
  for (auto early : {herd::detail::early_cancel::abort, herd::detail::early_cancel::to_body})
  {
    net::io_context ctx;
    auto sig = std::make_unique<net::cancellation_signal>();
    int runs = 0;
    int calls = 0;
    int value = 0;
    herd::detail::spawn_gated(ctx.get_executor(), count_run(runs),
                              net::bind_cancellation_slot(sig->slot(),
                                                          [&](std::exception_ptr e, int v)
                                                          {
                                                            ++calls;
                                                            value = e ? -1 : v;
                                                          }),
                              early);
    BOOST_TEST(ctx.run_one() == 1u);
    BOOST_TEST(runs == 1);  // the body has run
    BOOST_TEST(calls == 0); // the operation has not completed
    sig.reset();
    BOOST_REQUIRE_NO_THROW(ctx.run());
    BOOST_TEST(calls == 1);
    BOOST_TEST(value == 7);
  }
}

// --- with_timeout: a caller's cancellation does not switch the deadline off.

BOOST_AUTO_TEST_CASE(the_deadline_stays_armed_after_a_lost_cancellation, *boost::unit_test::timeout(60))
{
  clock_fixture fx;
  herd::timer t(fx.ex);
  net::cancellation_signal sig;
  recorder<error_code, int> rec(fx.ctx);
  double done_at = -1;
  herd::with_timeout(
      2s, two_phase(t, net::deferred),
      net::bind_cancellation_slot(sig.slot(), net::bind_executor(fx.ex,
                                                                 [&, h = rec.handler()](error_code ec, int v) mutable
                                                                 {
                                                                   done_at = fx.elapsed();
                                                                   h(ec, v);
                                                                 })));
  fx.advance(500ms);
  sig.emit(net::cancellation_type::terminal); // lost: the operation is in its first phase
  fx.advance(1s);
  BOOST_TEST(rec.calls() == 0);
  fx.advance(1s); // 2.5 s: the deadline (2 s) cancelled the second phase
  BOOST_TEST(rec.calls() == 1);
  BOOST_TEST(done_at == 2.0, boost::test_tools::tolerance(0.01));
  BOOST_TEST(rec.get<0>() == herd::make_error_code(herd::errc::timeout));
}

// --- the executor handed to user code tracks no work: an I/O object kept
// from it does not keep the context running.

template <class Start>
void check_untracked(Start start)
{
  net::io_context ctx;
  net::any_io_executor kept;
  int calls = 0;
  start(ctx, kept, calls);
  ctx.run_for(3s);
  BOOST_TEST(calls == 1);
  BOOST_TEST(ctx.stopped()); // ran out of work although `kept` is alive
  BOOST_TEST(static_cast<bool>(kept));
}

net::awaitable<int> keep_executor(net::any_io_executor* out)
{
  *out = co_await net::this_coro::executor;
  co_return 5;
}

BOOST_AUTO_TEST_CASE(user_code_sees_an_executor_that_tracks_no_work, *boost::unit_test::timeout(60))
{
  auto done = [](int& calls, net::io_context& ctx)
  { return net::bind_executor(ctx.get_executor(), [&calls](std::exception_ptr, int) { ++calls; }); };
  check_untracked([&](net::io_context& ctx, net::any_io_executor& kept, int& calls)
                  { herd::with_timeout(10s, keep_executor(&kept), done(calls, ctx)); });
  check_untracked(
      [&](net::io_context& ctx, net::any_io_executor& kept, int& calls)
      {
        herd::async_retry(
            herd::retry_policy::fixed(2, 1ms), [&kept] { return keep_executor(&kept); }, done(calls, ctx));
      });
  check_untracked(
      [&](net::io_context& ctx, net::any_io_executor& kept, int& calls)
      {
        auto b = std::make_shared<herd::circuit_breaker>(ctx.get_executor());
        b->async_call([&kept] { return keep_executor(&kept); }, done(calls, ctx));
      });
}

// --- the handler's associated allocator allocates the operation's state.

BOOST_AUTO_TEST_CASE(the_handlers_allocator_is_used, *boost::unit_test::timeout(60))
{
  net::io_context ctx;
  std::atomic<int> n{0};
  counting_allocator<void> alloc(&n);
  int calls = 0;

  auto on_ctx = [&](auto f)
  { return net::bind_allocator(alloc, net::bind_executor(ctx.get_executor(), std::move(f))); };

  herd::semaphore s(ctx.get_executor(), 0);
  s.async_acquire(on_ctx([&](error_code) { ++calls; }));
  BOOST_TEST(n.load() > 0);
  s.release();

  n = 0;
  s.async_acquire_for(1s, on_ctx([&](error_code, bool) { ++calls; }));
  BOOST_TEST(n.load() > 0);
  s.release();

  n = 0;
  herd::promise<int> p;
  p.get_future().async_wait(on_ctx([&](std::exception_ptr, int) { ++calls; }));
  BOOST_TEST(n.load() > 0);
  p.set_value(3);

  n = 0;
  herd::with_timeout(1s, immediate({}, 1, net::deferred), on_ctx([&](error_code, int) { ++calls; }));
  BOOST_TEST(n.load() > 0);

  // A group over no inputs completes at once, through the base too.
  n = 0;
  std::vector<herd::future<int>> none;
  herd::async_gather(none, on_ctx([&](std::exception_ptr, std::vector<int> v) { calls += v.empty(); }));
  BOOST_TEST(n.load() > 0);
  n = 0;
  herd::async_wait(none, herd::wait_options{}, on_ctx([&](std::exception_ptr, auto r) { calls += r.done.empty(); }));
  BOOST_TEST(n.load() > 0);
  BOOST_TEST(calls == 0); // never inside the initiating call

  ctx.run();
  BOOST_TEST(calls == 6);
}

// --- Boost 1.81: `co_await` of a deferred operation with an exception_ptr
// signature (asio #1190), so herd's default token works in a coroutine.

HERD_CO_TEST_CASE(default_tokens_work_in_a_coroutine, *boost::unit_test::timeout(60))
{
  herd::promise<int> p;
  p.set_value(4);
  int v = co_await p.get_future().async_wait();
  BOOST_TEST(v == 4);

  herd::promise<int> q;
  q.set_exception(std::make_exception_ptr(test_error(9)));
  bool thrown = false;
  try
  {
    co_await q.get_future().async_wait();
  }
  catch (const test_error& e)
  {
    thrown = e.code == 9;
  }
  BOOST_TEST(thrown);

  std::vector<herd::future<int>> fs{herd::make_ready_future(1), herd::make_ready_future(2)};
  std::vector<int> all = co_await herd::async_gather(fs);
  BOOST_TEST(all == (std::vector<int>{1, 2}));
  int first = co_await herd::race(fs);
  BOOST_TEST((first == 1 || first == 2));

  herd::async_executor ex(1);
  int r = co_await ex.async_submit([] { return 6; });
  BOOST_TEST(r == 6);

  auto ctx_ex = co_await net::this_coro::executor;
  int c = co_await net::co_spawn(
      ctx_ex, []() -> net::awaitable<int> { co_return 8; }(), net::deferred);
  BOOST_TEST(c == 8);
}

// --- no user code under a herd lock: each callback kind re-enters the object
// that called it.

BOOST_AUTO_TEST_CASE(a_progress_callback_may_cancel_its_async_map, *boost::unit_test::timeout(120))
{
  herd::async_executor ex(2);
  net::cancellation_signal sig;
  std::atomic<bool> emitted{false};
  std::vector<int> in(2000, 1);
  herd::map_options opts;
  opts.progress = [&](std::size_t done, std::size_t, std::chrono::duration<double>)
  {
    if (done >= 10 && !emitted.exchange(true))
      sig.emit(net::cancellation_type::terminal); // re-enters async_map's driver
  };
  auto fut = ex.async_map([](int x) { return x; }, in, opts, net::bind_cancellation_slot(sig.slot(), net::use_future));
  BOOST_REQUIRE(fut.wait_for(60s) == std::future_status::ready);
  BOOST_TEST(emitted.load());
  BOOST_CHECK_THROW(fut.get(), herd::cancelled_error);
  // After the pool's threads are joined: a task's future settles (and the
  // map completes) just before its thread counts it finished, so stats read
  // at once may still show it running (1 run in 7 did).
  ex.shutdown();
  herd::test::check_balanced(ex.stats());
}

BOOST_AUTO_TEST_CASE(a_blocking_maps_progress_callback_runs_under_no_lock, *boost::unit_test::timeout(120))
{
  herd::async_executor ex(2);
  std::vector<std::size_t> seen;
  std::mutex m;
  herd::map_options opts;
  opts.progress = [&](std::size_t done, std::size_t total, std::chrono::duration<double>)
  {
    std::lock_guard lk(m);
    seen.push_back(done);
    BOOST_TEST(done <= total);
  };
  std::vector<int> in(500, 2);
  auto out = ex.map(
      opts, [](int x) { return x * 2; }, in);
  BOOST_TEST(out.size() == 500u);
  std::lock_guard lk(m);
  BOOST_REQUIRE(!seen.empty());
  BOOST_TEST(seen.back() == 500u); // the last call reports everything, and comes last
  BOOST_TEST(std::is_sorted(seen.begin(), seen.end()));
}

BOOST_AUTO_TEST_CASE(a_for_each_body_may_cancel_its_own_operation, *boost::unit_test::timeout(60))
{
  net::io_context ctx;
  net::cancellation_signal sig;
  int seen = 0;
  std::vector<int> items(100, 1);
  auto s = herd::streams::from_range(ctx.get_executor(), items);
  std::exception_ptr result;
  int calls = 0;
  herd::streams::for_each(
      std::move(s),
      [&](int)
      {
        if (++seen == 3)
          sig.emit(net::cancellation_type::terminal); // re-enters the sink's operation
      },
      net::bind_cancellation_slot(sig.slot(), net::bind_executor(ctx,
                                                                 [&](std::exception_ptr e)
                                                                 {
                                                                   ++calls;
                                                                   result = e;
                                                                 })));
  ctx.run_for(30s);
  BOOST_TEST(calls == 1);
  BOOST_TEST(seen == 3);
  BOOST_CHECK_THROW(std::rethrow_exception(result), herd::cancelled_error);
}

BOOST_AUTO_TEST_CASE(a_stop_callback_may_call_shutdown_and_submit, *boost::unit_test::timeout(120))
{
  herd::async_executor ex(2);
  std::promise<void> running;
  std::atomic<int> callback_ran{0};
  auto f = ex.submit(
      [&](std::stop_token st)
      {
        std::stop_callback cb(st,
                              [&]
                              {
                                ex.shutdown(false, true); // re-enters the executor's cancel pass
                                try
                                {
                                  ex.submit([] { return 0; });
                                }
                                catch (const herd::shutdown_error&)
                                {
                                }
                                ++callback_ran;
                              });
        running.set_value();
        while (!st.stop_requested())
          std::this_thread::yield();
        return 1;
      });
  running.get_future().wait();
  ex.shutdown(true, true);
  BOOST_TEST(callback_ran.load() == 1);
  BOOST_TEST(f.done());
  herd::test::check_balanced(ex.stats());
}

BOOST_AUTO_TEST_CASE(shutdown_on_an_adopted_executors_own_thread_throws, *boost::unit_test::timeout(60))
{
  net::io_context ctx;
  herd::async_executor ex(ctx.get_executor());
  bool threw = false;
  net::post(ctx,
            [&]
            {
              try
              {
                ex.shutdown(true);
              }
              catch (const std::logic_error& e)
              {
                threw = herd::test::message_names(e, "shutdown");
              }
            });
  ctx.run();
  BOOST_TEST(threw);
}

// --- futures outlive their executor; a limiter may die while a task holds
// its permit (ASan: no access to freed memory).

BOOST_AUTO_TEST_CASE(futures_outlive_their_executor, *boost::unit_test::timeout(120))
{
  herd::future<int> coro, managed, limited;
  {
    herd::async_executor ex(2);
    coro = ex.submit([]() -> net::awaitable<int> { co_return 1; });
    herd::semaphore sem(ex.get_executor(), 1);
    managed =
        ex.submit(herd::submit_options{.limiter = &sem, .retry = herd::retry_policy::fixed(2, 1ms)}, [] { return 2; });
    managed.wait();

    auto held = std::make_unique<herd::semaphore>(ex.get_executor(), 1);
    std::promise<void> running;
    std::promise<void> gate;
    auto g = gate.get_future().share();
    limited = ex.submit(herd::submit_options{.limiter = held.get()},
                        [&running, g]
                        {
                          running.set_value();
                          g.wait();
                          return 3;
                        });
    running.get_future().wait();
    held.reset(); // the task holds its permit
    gate.set_value();
    limited.wait();
    coro.wait();
  }
  BOOST_TEST(coro.get() == 1);
  BOOST_TEST(managed.get() == 2);
  BOOST_TEST(limited.get() == 3);
}

// --- a failing allocation in submit(submit_options, …) leaves nothing behind.

// An io_context executor whose execute() throws std::bad_alloc while
// *armed (what an allocation failure in a post looks like to the caller).
template <class Inner>
struct failing_executor
{
  Inner inner;
  const std::atomic<bool>* armed;

  template <class F>
  void execute(F&& f) const
  {
    if (armed->load())
      throw std::bad_alloc();
    inner.execute(std::forward<F>(f));
  }
  // (Through net::query / net::require: the io_context executor's own
  // members are private to Asio's customisation points.)
  template <class P>
  auto query(const P& p) const noexcept -> decltype(net::query(std::declval<const Inner&>(), p))
  {
    return net::query(inner, p);
  }
  template <class P>
  auto require(const P& p) const
      -> failing_executor<std::decay_t<decltype(net::require(std::declval<const Inner&>(), p))>>
  {
    return {net::require(inner, p), armed};
  }
  friend bool operator==(const failing_executor& a, const failing_executor& b) noexcept
  {
    return a.inner == b.inner && a.armed == b.armed;
  }
  friend bool operator!=(const failing_executor& a, const failing_executor& b) noexcept { return !(a == b); }
};

// What it checks: the failed submit throws std::bad_alloc itself, the
// executor keeps working, and its books balance. What it cannot show: the
// dangling registry entry of the issue came from an allocation failing
// before Asio queued the post (the task was then freed while registered);
// a failing executor fails after the strand has queued it (the task stays
// alive in that queue), and failing the allocation itself would take a
// replaced global operator new. managed_task::start now registers the task
// in its first step on the strand, so no failure of the post can leave an
// entry behind (detail/managed_task.hpp).
BOOST_AUTO_TEST_CASE(a_submit_whose_post_throws_loses_nothing, *boost::unit_test::timeout(60))
{
  net::io_context ctx;
  std::atomic<bool> armed{false};
  {
    herd::async_executor ex(
        net::any_io_executor(failing_executor<net::io_context::executor_type>{ctx.get_executor(), &armed}));
    const herd::submit_options opts{.retry = herd::retry_policy::fixed(2, 1ms)};
    armed = true;
    BOOST_CHECK_THROW(ex.submit(opts, [] { return 1; }), std::bad_alloc);
    armed = false;
    auto f = ex.submit(opts, [] { return 2; });
    ctx.restart(); // the failed post's work count came and went: Asio stopped the idle io_context
    ctx.poll();
    BOOST_TEST(f.get() == 2);
    ex.shutdown(false, true); // the cancel pass walks the registry
    herd::test::check_balanced(ex.stats());
    BOOST_TEST(ex.stats().cancelled == 0u);
  }
  ctx.restart();
  ctx.poll();
}

// --- limits: duration::max() means never; release(SIZE_MAX) is refused;
// an empty executor is named.

BOOST_AUTO_TEST_CASE(duration_max_means_never, *boost::unit_test::timeout(60))
{
  clock_fixture fx;
  herd::timer t(fx.ex);
  t.expires_after(herd::duration::max());
  recorder<error_code> timer_done(fx.ctx);
  t.async_wait(timer_done.handler());
  herd::semaphore s(fx.ex, 0);
  recorder<error_code, bool> acquired(fx.ctx);
  s.async_acquire_for(herd::duration::max(), acquired.handler());
  recorder<error_code, int> timed(fx.ctx);
  herd::timer op_timer(fx.ex);
  op_timer.expires_after(1h);
  herd::with_timeout(herd::duration::max(),
                     op_timer.async_wait(net::deferred([](error_code ec) { return net::deferred.values(ec, 5); })),
                     timed.handler());
  fx.advance(2h);
  BOOST_TEST(timer_done.calls() == 0);
  BOOST_TEST(acquired.calls() == 0);
  BOOST_TEST(timed.calls() == 1);
  BOOST_TEST(!timed.get<0>());
  BOOST_TEST(timed.get<1>() == 5);
  s.release();
  t.cancel();
  fx.poll();
  BOOST_TEST(acquired.calls() == 1);
  BOOST_TEST(acquired.get<1>());
  BOOST_TEST(timer_done.calls() == 1);
}

// --- the caller's cancellation slot is cleared on the handler's executor, in
// the upcall, not by whichever thread completed the operation: a
// cancellation_slot is not thread-safe, and the caller emits on its own
// executor (a strand, say) while another thread may complete the wait. Found
// as a sporadic SIGSEGV in sync_stress (a release on one strand cleared the
// slot while the waiter's strand emitted on it). Each operation below is
// completed from outside its handler's context; until that context runs,
// the filter stays installed, an emit finds the operation done and changes
// nothing, and the handler then gets the success.

template <class Handler>
auto on_waiter(net::io_context& waiter, net::cancellation_signal& sig, Handler h)
{
  return net::bind_cancellation_slot(sig.slot(), net::bind_executor(waiter, std::move(h)));
}

// start(handler) begins the operation, complete() completes it from this
// thread (then `owner` runs what that posted), succeeded(args...) checks
// what the handler got.
template <class Start, class Complete, class Succeeded>
void check_slot_cleared_in_upcall(clock_fixture& owner, Start start, Complete complete, Succeeded succeeded)
{
  net::io_context waiter; // the handler's executor, not yet run
  net::cancellation_signal sig;
  int calls = 0;
  bool ok = false;
  start(on_waiter(waiter, sig,
                  [&](auto... args)
                  {
                    ++calls;
                    ok = succeeded(args...);
                  }));
  BOOST_TEST(sig.slot().has_handler());
  complete();
  owner.poll();
  BOOST_TEST(calls == 0);
  BOOST_TEST(sig.slot().has_handler()); // not cleared off the handler's executor
  sig.emit(net::cancellation_type::terminal); // the operation is done: no effect
  waiter.run();
  BOOST_TEST(calls == 1);
  BOOST_TEST(ok);
  BOOST_TEST(!sig.slot().has_handler()); // cleared in the upcall
}

BOOST_AUTO_TEST_CASE(the_slot_is_cleared_on_the_handlers_executor, *boost::unit_test::timeout(60))
{
  {
    clock_fixture o;
    herd::semaphore sem(o.ex, 0, 1);
    check_slot_cleared_in_upcall(
        o, [&](auto h) { sem.async_acquire(std::move(h)); }, [&] { sem.release(); },
        [](error_code ec) { return !ec; });
    BOOST_TEST(sem.available() == 0u); // the permit went to the wait, not back
  }
  {
    clock_fixture o;
    herd::semaphore sem(o.ex, 0, 1);
    check_slot_cleared_in_upcall(
        o, [&](auto h) { sem.async_acquire_for(5s, std::move(h)); }, [&] { sem.release(); },
        [](error_code ec, bool got) { return !ec && got; });
  }
  {
    clock_fixture o;
    herd::promise<int> p;
    check_slot_cleared_in_upcall(
        o, [&](auto h) { p.get_future().async_wait(std::move(h)); }, [&] { p.set_value(5); },
        [](std::exception_ptr e, int v) { return !e && v == 5; });
  }
  {
    clock_fixture o;
    herd::timer t(o.ex);
    t.expires_after(1s);
    check_slot_cleared_in_upcall(
        o, [&](auto h) { t.async_wait(std::move(h)); }, [&] { o.advance(1s); },
        [](error_code ec) { return !ec; });
  }
  {
    clock_fixture o;
    herd::promise<int> p;
    check_slot_cleared_in_upcall(
        o,
        [&](auto h)
        {
          std::vector<herd::future<int>> fs;
          fs.push_back(p.get_future());
          herd::async_gather(std::move(fs), std::move(h));
        },
        [&]
        {
          o.poll(); // the group starts on its strand
          p.set_value(3);
        },
        [](std::exception_ptr e, std::vector<int> v) { return !e && v == std::vector<int>{3}; });
  }
  {
    clock_fixture o;
    auto st = herd::streams::from_range(o.ex, std::vector<int>{1, 2});
    check_slot_cleared_in_upcall(
        o, [&](auto h) { st.async_next(std::move(h)); }, [] {},
        [](std::exception_ptr e, std::optional<int> v) { return !e && v == 1; });
  }
}

// --- the default token trap: a future is an Asio operation, so `co_await f`
// works in a coroutine (value, void, and a rethrown failure), as does
// `co_await f.async_wait()` with the default token.

net::awaitable<int> await_futures(herd::future<int> a, herd::future<void> b)
{
  co_await b;
  int v = co_await a;
  co_return v + co_await a.async_wait();
}

net::awaitable<int> await_failing(herd::future<int> f) { co_return co_await f; }

BOOST_AUTO_TEST_CASE(co_await_a_future, *boost::unit_test::timeout(60))
{
  static_assert(net::is_async_operation<herd::future<int>>::value);
  net::io_context ctx;
  herd::promise<int> a;
  herd::promise<void> b;
  auto sum = net::co_spawn(ctx, await_futures(a.get_future(), b.get_future()), net::use_future);
  ctx.poll();
  BOOST_TEST((sum.wait_for(0s) == std::future_status::timeout)); // suspended on b
  b.set_value();
  a.set_value(20);
  ctx.restart();
  ctx.run();
  BOOST_TEST(sum.get() == 40);

  herd::promise<int> f;
  auto failed = net::co_spawn(ctx, await_failing(f.get_future()), net::use_future);
  f.set_exception(std::make_exception_ptr(test_error(3)));
  ctx.restart();
  ctx.run();
  BOOST_CHECK_THROW(failed.get(), test_error);
}

// --- a make_op that throws ends the operation with its own error (message
// and code kept) and is not called again.

BOOST_AUTO_TEST_CASE(a_throwing_make_op_is_not_retried_and_keeps_its_error, *boost::unit_test::timeout(60))
{
  clock_fixture fx;
  int calls = 0;
  recorder<error_code, int> coded(fx.ctx);
  herd::async_retry(
      herd::retry_policy::fixed(5, 1s),
      [&calls]() -> decltype(immediate({}, 0, net::deferred))
      {
        ++calls;
        throw boost::system::system_error(net::error::timed_out);
      },
      coded.handler());
  fx.advance(10s);
  BOOST_TEST(calls == 1);
  BOOST_TEST(coded.calls() == 1);
  BOOST_TEST(coded.get<0>() == net::error::timed_out);

  int thrown = 0;
  recorder<std::exception_ptr, int> rethrown(fx.ctx);
  herd::async_retry(
      herd::retry_policy::fixed(5, 1s),
      [&thrown]() -> net::awaitable<int>
      {
        ++thrown;
        throw test_error(7);
      },
      rethrown.handler());
  fx.advance(10s);
  BOOST_TEST(thrown == 1);
  BOOST_TEST(rethrown.calls() == 1);
  BOOST_CHECK_EXCEPTION(std::rethrow_exception(rethrown.get<0>()), test_error,
                        [](const test_error& e) { return e.code == 7 && std::string(e.what()) == "test_error 7"; });
}

BOOST_AUTO_TEST_CASE(bad_arguments_are_named, *boost::unit_test::timeout(60))
{
  net::io_context ctx;
  herd::semaphore s(ctx.get_executor(), 1, 4);
  BOOST_CHECK_THROW(s.release(SIZE_MAX), std::logic_error);
  BOOST_TEST(s.available() == 1u);
  const net::any_io_executor empty;
  auto names_ex = [](const std::invalid_argument& e) { return herd::test::message_names(e, "ex"); };
  BOOST_CHECK_EXCEPTION(herd::circuit_breaker{empty}, std::invalid_argument, names_ex);
  BOOST_CHECK_EXCEPTION(herd::timer{empty}, std::invalid_argument, names_ex);
  BOOST_CHECK_EXCEPTION(herd::clock_of(empty), std::invalid_argument, names_ex);
}

BOOST_AUTO_TEST_SUITE_END()
