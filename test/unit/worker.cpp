// Tests for herd/worker.hpp: workers (sync, strand, thread modes) and
// worker pools. Timing on the manual clock; concurrency shown with latches.
#include "test_support.hpp"

#include <herd/worker.hpp>
#include <herd/worker_pool.hpp>
#include <herd/worker_process.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>
#include <latch>
#include <csignal>
#include <cstdlib>
#include <unistd.h>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace net = boost::asio;
using namespace std::chrono_literals;
using herd::task_state;
using herd::worker_mode;
using herd::test::clock_fixture;

namespace {

// A worker object that records what ran, where and in which order.
struct account
{
  explicit account(int start = 0) : balance(start), built_on(std::this_thread::get_id()) {}

  int deposit(int n)
  {
    log.push_back(n);
    threads.insert(std::this_thread::get_id());
    return balance += n;
  }

  void fail(std::string why) { throw std::runtime_error(why); }

  std::vector<int> history() const { return log; }

  std::thread::id where() const { return std::this_thread::get_id(); }

  // A coroutine method: waits d (virtual time on a manual clock), then deposits.
  net::awaitable<int> deposit_later(int n, herd::duration d)
  {
    log.push_back(-n); // started
    herd::timer t(co_await net::this_coro::executor);
    t.expires_after(d);
    co_await t.async_wait(net::use_awaitable);
    co_return deposit(n);
  }

  // Blocks until `count` calls are inside at once (only concurrent workers get there).
  int meet(std::latch* l)
  {
    l->arrive_and_wait();
    return 1;
  }

  int balance;
  std::thread::id built_on;
  std::vector<int> log;
  std::set<std::thread::id> threads;
};

struct throwing_ctor
{
  throwing_ctor() { throw std::runtime_error("no database"); }
  int get() { return 1; }
};

// A type for process-mode workers: its methods are registered below.
struct remote_calc
{
  explicit remote_calc(int start) : base(start) {}
  int add(int x) { return base += x; }
  long square(long x) const { return x * x; }
  std::string greet(const std::string& who) const { return "hi " + who; }
  std::vector<int> range(int n) const
  {
    std::vector<int> v;
    for (int i = 0; i < n; ++i)
      v.push_back(i);
    return v;
  }
  int pid() const { return static_cast<int>(::getpid()); }
  void hang() { ::pause(); }
  void abort_now() { std::abort(); }
  void fail(const std::string& why) { throw std::invalid_argument(why); }
  int base;
};

// Its destructor re-enters the worker that owns it (reads its load).
struct reentrant_dtor
{
  ~reentrant_dtor()
  {
    if (owner)
      load_seen = static_cast<int>(owner->load());
  }
  void attach(herd::worker<reentrant_dtor>* w) { owner = w; }
  herd::worker<reentrant_dtor>* owner = nullptr;
  static inline int load_seen = -1;
};

} // namespace

HERD_WORKER_METHODS(remote_calc, &remote_calc::add, &remote_calc::square, &remote_calc::greet, &remote_calc::range,
                    &remote_calc::pid, &remote_calc::hang, &remote_calc::abort_now, &remote_calc::fail);

BOOST_AUTO_TEST_SUITE(worker)

BOOST_AUTO_TEST_CASE(strand_calls_run_one_at_a_time_in_submission_order)
{
  herd::async_executor ex(4);
  auto w = herd::make_worker<account>(ex.get_executor(), worker_mode::strand, 100);
  std::vector<herd::future<int>> fs;
  for (int i = 1; i <= 1000; ++i)
    fs.push_back(w.call(&account::deposit, i));
  auto values = herd::gather(fs);
  BOOST_TEST(values.back() == 100 + 1000 * 1001 / 2);
  for (std::size_t i = 1; i < values.size(); ++i)
    BOOST_TEST_REQUIRE(values[i] == values[i - 1] + static_cast<int>(i + 1)); // each saw the previous one
  auto history = w.call(&account::history).get();
  BOOST_REQUIRE(history.size() == 1000u);
  for (int i = 0; i < 1000; ++i)
    BOOST_TEST_REQUIRE(history[i] == i + 1);
}

BOOST_AUTO_TEST_CASE(a_coroutine_method_finishes_before_the_next_call_starts)
{
  clock_fixture f;
  auto w = herd::make_worker<account>(f.ex); // strand is the default mode
  BOOST_TEST((w.mode() == worker_mode::strand));
  auto slow = w.call(&account::deposit_later, 5, herd::duration(2s));
  auto quick = w.call(&account::deposit, 1);
  f.poll();
  BOOST_TEST(!slow.done());
  BOOST_TEST(!quick.done()); // queued behind the suspended coroutine
  f.advance(2s);
  BOOST_REQUIRE(slow.done());
  BOOST_REQUIRE(quick.done());
  BOOST_TEST(slow.get() == 5);
  BOOST_TEST(quick.get() == 6);
  auto history = w.call(&account::history);
  f.poll();
  BOOST_TEST(history.get() == (std::vector<int>{-5, 5, 1}));
}

BOOST_AUTO_TEST_CASE(exceptions_fail_that_call_only)
{
  clock_fixture f;
  auto w = herd::make_worker<account>(f.ex, worker_mode::strand);
  auto bad = w.call(&account::fail, std::string("overdrawn"));
  auto good = w.call(&account::deposit, 3);
  f.poll();
  BOOST_CHECK_EXCEPTION(bad.get(), std::runtime_error,
                        [](const std::runtime_error& e) { return std::string(e.what()) == "overdrawn"; });
  BOOST_TEST(good.get() == 3);

  // A constructor's exception fails every call.
  auto broken = herd::make_worker<throwing_ctor>(f.ex, worker_mode::strand);
  auto r = broken.call(&throwing_ctor::get);
  f.poll();
  BOOST_CHECK_EXCEPTION(r.get(), std::runtime_error,
                        [](const std::runtime_error& e) { return std::string(e.what()) == "no database"; });
}

BOOST_AUTO_TEST_CASE(stop_drains_or_cancels_and_later_calls_throw)
{
  clock_fixture f;
  {
    auto w = herd::make_worker<account>(f.ex, worker_mode::strand);
    auto a = w.call(&account::deposit, 1);
    auto b = w.call(&account::deposit, 2);
    w.stop(); // drain: both still run
    BOOST_CHECK_THROW(w.call(&account::deposit, 3), herd::shutdown_error);
    f.poll();
    BOOST_TEST(a.get() == 1);
    BOOST_TEST(b.get() == 3);
  }
  {
    auto w = herd::make_worker<account>(f.ex, worker_mode::strand);
    auto a = w.call(&account::deposit, 1);
    auto b = w.call(&account::deposit, 2);
    w.stop(true); // cancel the queued calls
    f.poll();
    BOOST_TEST((a.state() == task_state::cancelled));
    BOOST_TEST((b.state() == task_state::cancelled));
    BOOST_CHECK_THROW(w.call(&account::deposit, 3), herd::shutdown_error);
  }
  {
    // The destructor drains.
    herd::future<int> last;
    {
      auto w = herd::make_worker<account>(f.ex, worker_mode::strand);
      w.call(&account::deposit, 1);
      last = w.call(&account::deposit, 2);
    }
    f.poll();
    BOOST_TEST(last.get() == 3);
  }
  {
    // A call cancelled while queued is skipped.
    auto w = herd::make_worker<account>(f.ex, worker_mode::strand);
    auto skipped = w.call(&account::deposit, 50);
    skipped.cancel();
    auto after = w.call(&account::deposit, 1);
    f.poll();
    BOOST_TEST(after.get() == 1);
  }
}

// The object is destroyed in its context after the last call, with no
// herd lock held: a destructor that calls back into the worker works (it
// deadlocked on the worker's own mutex before).
BOOST_AUTO_TEST_CASE(the_object_is_destroyed_under_no_herd_lock, *boost::unit_test::timeout(60))
{
  clock_fixture f;
  auto w = herd::make_worker<reentrant_dtor>(f.ex, worker_mode::strand);
  auto attached = w.call(&reentrant_dtor::attach, &w);
  reentrant_dtor::load_seen = -1;
  w.stop();
  f.poll();
  BOOST_TEST((attached.state() == task_state::completed));
  BOOST_TEST(reentrant_dtor::load_seen == 0); // it ran, and found no call left
}

BOOST_AUTO_TEST_CASE(thread_mode_owns_a_thread_and_sync_mode_runs_in_the_caller)
{
  net::io_context unused;
  {
    auto w = herd::make_worker<account>(unused.get_executor(), worker_mode::thread, 7);
    auto where = w.call(&account::where).get();
    BOOST_TEST((where != std::this_thread::get_id()));
    for (int i = 0; i < 100; ++i)
      w.call(&account::deposit, 1);
    BOOST_TEST(w.call(&account::deposit, 0).get() == 107);
    BOOST_TEST((w.call(&account::where).get() == where)); // always the same thread
    // A coroutine method runs on the worker's own context.
    herd::future<int> later = w.call(&account::deposit_later, 1, herd::duration(1ms));
    BOOST_TEST(later.get() == 108);
    w.stop(); // joins
    BOOST_CHECK_THROW(w.call(&account::deposit, 1), herd::shutdown_error);
  }
  {
    auto w = herd::make_worker<account>(unused.get_executor(), worker_mode::sync);
    auto f = w.call(&account::deposit, 4);
    BOOST_TEST(f.done()); // ran inside call()
    BOOST_TEST(f.get() == 4);
    BOOST_TEST((w.call(&account::where).get() == std::this_thread::get_id()));
    BOOST_TEST(w.call(&account::deposit_later, 1, herd::duration(0s)).get() == 5);
    BOOST_CHECK_THROW(herd::make_worker<throwing_ctor>(unused.get_executor(), worker_mode::sync), std::runtime_error);
  }
  BOOST_TEST(unused.poll() == 0u); // thread and sync workers never touch ex
}

BOOST_AUTO_TEST_CASE(a_moved_from_worker_says_so)
{
  net::io_context ctx;
  auto w = herd::make_worker<account>(ctx.get_executor(), worker_mode::strand);
  auto v = std::move(w);
  BOOST_TEST((v.mode() == worker_mode::strand));
  BOOST_CHECK_THROW((void)w.mode(), std::logic_error); // was a null dereference
  BOOST_CHECK_THROW(w.call(&account::deposit, 1), herd::shutdown_error);
  BOOST_TEST(w.load() == 0u);
  w.stop(); // a no-op
}

BOOST_AUTO_TEST_CASE(bad_arguments_are_named)
{
  try
  {
    herd::make_worker<account>(net::any_io_executor(), worker_mode::strand);
    BOOST_FAIL("accepted an empty executor");
  }
  catch (const std::invalid_argument& e)
  {
    BOOST_TEST(herd::test::message_names(e, "ex"));
  }
  net::io_context ctx;
  BOOST_CHECK_THROW(herd::make_worker<account>(ctx.get_executor(), static_cast<worker_mode>(42)), std::invalid_argument);
  try
  {
    herd::worker_pool<account> pool(ctx.get_executor(), 0, worker_mode::strand);
    BOOST_FAIL("accepted n = 0");
  }
  catch (const std::invalid_argument& e)
  {
    BOOST_TEST(herd::test::message_names(e, "n"));
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(worker_pool)

BOOST_AUTO_TEST_CASE(calls_on_different_workers_run_concurrently, *boost::unit_test::timeout(60))
{
  net::io_context unused;
  herd::worker_pool<account> pool(unused.get_executor(), 4, worker_mode::thread, herd::load_balancing::round_robin);
  std::latch all_four(4); // passes only when four calls are inside at once
  std::vector<herd::future<int>> fs;
  for (int i = 0; i < 4; ++i)
    fs.push_back(pool.call(&account::meet, &all_four));
  BOOST_TEST(herd::gather(fs, {.timeout = 30s}).size() == 4u);
  pool.stop();
}

BOOST_AUTO_TEST_CASE(round_robin_and_broadcast)
{
  clock_fixture f;
  herd::worker_pool<account> pool(f.ex, 4, worker_mode::strand, herd::load_balancing::round_robin);
  for (int i = 0; i < 8; ++i)
    pool.call(&account::deposit, 1);
  auto balances = pool.broadcast(&account::deposit, 0);
  f.poll();
  BOOST_REQUIRE(balances.size() == 4u);
  for (auto& b : balances)
    BOOST_TEST(b.get() == 2); // each worker got two of the eight
}

BOOST_AUTO_TEST_CASE(least_loaded_avoids_the_busy_worker)
{
  clock_fixture f;
  herd::worker_pool<account> pool(f.ex, 3, worker_mode::strand, herd::load_balancing::least_loaded);
  f.poll(); // objects constructed
  // Worker 0 gets a call that stays suspended for 10 s, so it stays loaded.
  auto busy = pool[0].call(&account::deposit_later, 100, herd::duration(10s));
  f.poll();
  BOOST_TEST(pool[0].load() == 1u);
  std::vector<herd::future<int>> fs;
  for (int i = 0; i < 6; ++i)
  {
    fs.push_back(pool.call(&account::deposit, 1));
    f.poll(); // each call finishes before the next is placed
  }
  auto balances = pool.broadcast(&account::deposit, 0);
  f.advance(10s);
  BOOST_TEST(balances[0].get() == 100); // only the suspended call's deposit
  BOOST_TEST(balances[1].get() + balances[2].get() == 6);
  BOOST_TEST(busy.get() == 100);
}

BOOST_AUTO_TEST_CASE(random_reaches_every_worker)
{
  clock_fixture f;
  herd::worker_pool<account> pool(f.ex, 4, worker_mode::strand, herd::load_balancing::random);
  for (int i = 0; i < 400; ++i)
    pool.call(&account::deposit, 1);
  auto balances = pool.broadcast(&account::deposit, 0);
  f.poll();
  int total = 0;
  for (auto& b : balances)
  {
    // P(a worker gets none of 400 uniform picks) = (3/4)^400, about 1e-50.
    BOOST_TEST(b.get() > 0);
    total += b.get();
  }
  BOOST_TEST(total == 400);
}

BOOST_AUTO_TEST_CASE(worker_futures_work_with_every_wait_strategy)
{
  clock_fixture f;
  herd::worker_pool<account> pool(f.ex, 2, worker_mode::strand);
  std::vector<herd::future<int>> fs; // worker 0: five 1 s calls; worker 1: five 2 s calls
  for (int i = 0; i < 10; ++i)
    fs.push_back(pool.call(&account::deposit_later, 1, herd::duration(std::chrono::seconds(i % 2 + 1))));
  std::size_t last_done = 0;
  herd::gather_options o;
  o.progress = [&](std::size_t done, std::size_t, std::chrono::duration<double>) { last_done = done; };
  herd::test::recorder<std::exception_ptr, std::vector<int>> gathered(f.ctx);
  herd::async_gather(fs, o, gathered.handler());
  herd::gather_options short_timeout;
  short_timeout.timeout = 1500ms;
  short_timeout.on_failure = herd::failure_policy::leave_pending;
  herd::test::recorder<std::exception_ptr, std::vector<int>> timed(f.ctx);
  herd::async_gather(fs, short_timeout, timed.handler());
  f.advance(1500ms);
  BOOST_REQUIRE(timed.calls() == 1);
  BOOST_CHECK_THROW(std::rethrow_exception(timed.get<0>()), herd::timeout_error);
  auto [done, not_done] = herd::wait(fs, {.when = herd::return_when::first_completed});
  BOOST_TEST(done.size() == 1u); // worker 0's first call, at 1 s
  for (auto& [index, value] : herd::gather_iter(done))
    BOOST_TEST((index == 0u && value == 1));
  f.advance(8500ms);
  BOOST_REQUIRE(gathered.calls() == 1);
  int sum = 0;
  for (int v : gathered.get<1>())
    sum += v;
  BOOST_TEST(sum == 2 * (1 + 2 + 3 + 4 + 5));
  BOOST_TEST(last_done == 10u);

  // race: the faster worker wins; the other call gets a cancellation request.
  std::vector<herd::future<int>> pair{pool[0].call(&account::deposit_later, 1, herd::duration(1s)),
                                      pool[1].call(&account::deposit_later, 1, herd::duration(3s))};
  herd::test::recorder<std::exception_ptr, int> raced(f.ctx);
  herd::race(pair, raced.handler());
  f.advance(1s);
  BOOST_REQUIRE(raced.calls() == 1);
  BOOST_TEST(raced.get<1>() == 6);
  BOOST_TEST((pair[1].state() == task_state::cancelled));
  f.advance(2s);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(worker_process)

BOOST_AUTO_TEST_CASE(results_errors_and_a_new_child_after_a_crash, *boost::unit_test::timeout(120))
{
  net::io_context unused;
  auto w = herd::make_worker<remote_calc>(unused.get_executor(), worker_mode::process, 10);
  BOOST_TEST(w.call<&remote_calc::add>(5).get() == 15);
  BOOST_TEST(w.call<&remote_calc::add>(1).get() == 16); // state lives in the child
  BOOST_TEST(w.call<&remote_calc::greet>("bob").get() == "hi bob");
  BOOST_TEST(w.call<&remote_calc::range>(3).get() == (std::vector<int>{0, 1, 2}));
  const int child = w.call<&remote_calc::pid>().get();
  BOOST_TEST(child != static_cast<int>(::getpid()));
  BOOST_CHECK_EXCEPTION(w.call<&remote_calc::fail>("bad input").get(), herd::worker_remote_error,
                        [](const herd::worker_remote_error& e) { return std::string(e.what()) == "bad input"; });
  BOOST_CHECK_EXCEPTION(w.call<&remote_calc::abort_now>().get(), herd::worker_crash_error,
                        [](const herd::worker_crash_error& e)
                        {
                          return e.signal() == SIGABRT && std::string(e.what()).find("SIGABRT") != std::string::npos;
                        });
  // The next call runs in a new child with a new object.
  BOOST_TEST(w.call<&remote_calc::add>(1).get() == 11);
  BOOST_TEST(w.call<&remote_calc::pid>().get() != child);
  w.stop();
  BOOST_CHECK_THROW(w.call<&remote_calc::add>(1), herd::shutdown_error);
}

BOOST_AUTO_TEST_CASE(a_child_killed_by_a_signal_mid_call_fails_that_call, *boost::unit_test::timeout(120))
{
  net::io_context unused;
  auto w = herd::make_worker<remote_calc>(unused.get_executor(), worker_mode::process, 0);
  const int child = w.call<&remote_calc::pid>().get();
  auto hung = w.call<&remote_calc::hang>(); // the child blocks in pause()
  auto queued = w.call<&remote_calc::add>(2);
  ::kill(child, SIGKILL);
  BOOST_CHECK_EXCEPTION(hung.get(), herd::worker_crash_error,
                        [](const herd::worker_crash_error& e)
                        { return e.signal() == SIGKILL && std::string(e.what()).find("SIGKILL") != std::string::npos; });
  BOOST_TEST(queued.get() == 2); // the queued call ran in the restarted child
  const int next = w.call<&remote_calc::pid>().get();
  BOOST_TEST(next != child);
  w.stop();
  BOOST_TEST(::kill(next, 0) == -1); // stop() ended and reaped the child
}

BOOST_AUTO_TEST_CASE(ten_thousand_calls_through_a_process_pool, *boost::unit_test::timeout(300))
{
  net::io_context unused;
  herd::worker_pool<remote_calc> pool(unused.get_executor(), 2, worker_mode::process,
                                      herd::load_balancing::round_robin, 0);
  std::vector<herd::future<long>> fs;
  for (long i = 0; i < 10000; ++i)
    fs.push_back(pool.call<&remote_calc::square>(i));
  auto values = herd::gather(fs, {.timeout = 240s});
  for (long i = 0; i < 10000; ++i)
    BOOST_TEST_REQUIRE(values[i] == i * i);
  auto pids = pool.broadcast<&remote_calc::pid>();
  BOOST_TEST(pids[0].get() != pids[1].get()); // a child each
  pool.stop();
}

BOOST_AUTO_TEST_CASE(process_mode_needs_a_registered_type)
{
  net::io_context unused;
  try
  {
    herd::make_worker<account>(unused.get_executor(), worker_mode::process);
    BOOST_FAIL("accepted an unregistered type");
  }
  catch (const std::invalid_argument& e)
  {
    BOOST_TEST(herd::test::message_names(e, "HERD_WORKER_METHODS"));
  }
}

BOOST_AUTO_TEST_SUITE_END()
