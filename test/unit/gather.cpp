// Tests for herd/gather.hpp: gather, gather_settled, gather_iter, gather_iter_settled.
#include "test_support.hpp"

#include <herd/async_executor.hpp>
#include <herd/gather.hpp>
#include <herd/gather_iter.hpp>
#include <herd/testing/manual_clock.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/test/unit_test.hpp>
#include <map>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <variant>
#include <vector>

using namespace std::chrono_literals;
using herd::failure_policy;
using herd::task_state;
using herd::test::test_error;

using herd::test::promises;

namespace {

int code_of(const std::exception_ptr& e)
{
  try
  {
    std::rethrow_exception(e);
  }
  catch (const test_error& t)
  {
    return t.code;
  }
  catch (...)
  {
  }
  return -1;
}

} // namespace

BOOST_AUTO_TEST_SUITE(gather)

BOOST_AUTO_TEST_CASE(values_come_back_in_input_order, *boost::unit_test::timeout(60))
{
  promises p(3);
  std::thread setter(
      [&]
      {
        p.ps[2].set_value(2);
        p.ps[0].set_value(0);
        p.ps[1].set_value(1);
      });
  std::vector<int> v = herd::gather(p.fs);
  setter.join();
  BOOST_TEST((v == std::vector<int>{0, 1, 2}));
  std::vector<herd::future<int>> none;
  BOOST_TEST(herd::gather(none).empty());
}

BOOST_AUTO_TEST_CASE(maps_tuples_and_single_futures)
{
  auto a = herd::make_ready_future(1);
  auto b = herd::make_ready_future(std::string("two"));
  auto c = herd::make_ready_future();
  std::map<std::string, herd::future<int>> m{{"x", a}, {"y", herd::make_ready_future(5)}};
  std::map<std::string, int> got = herd::gather(m);
  BOOST_TEST(got.at("x") == 1);
  BOOST_TEST(got.at("y") == 5);

  auto [i, s, v] = herd::gather(a, b, c);
  BOOST_TEST(i == 1);
  BOOST_TEST(s == "two");
  static_assert(std::is_same_v<decltype(v), std::monostate>);
  BOOST_TEST(herd::gather(b) == "two");
}

// DESIGN (2026-12-01): the blocking variadic forms take options last, and
// gather over an unordered_map gives an unordered_map.
BOOST_AUTO_TEST_CASE(variadic_forms_take_options_and_unordered_maps_stay_unordered)
{
  herd::promise<int> pending;
  auto a = herd::make_ready_future(1);
  auto b = herd::make_ready_future(std::string("two"));
  auto late = pending.get_future();
  auto [x, y] = herd::gather(a, b, herd::gather_options{.timeout = 1h});
  BOOST_TEST(x == 1);
  BOOST_TEST(y == "two");
  try
  {
    herd::gather(a, late, herd::gather_options{.timeout = 0ms, .on_failure = failure_policy::leave_pending});
    BOOST_FAIL("no timeout");
  }
  catch (const herd::timeout_error& e)
  {
    BOOST_TEST(std::string(e.what()).find("herd::gather: timed out, 1 (of 2) future unfinished") != std::string::npos);
  }
  BOOST_TEST((late.state() == task_state::pending)); // leave_pending: not cancelled

  auto failed = herd::make_exceptional_future<int>(std::make_exception_ptr(test_error(7)));
  auto [ok, bad] = herd::gather_settled(a, failed);
  BOOST_TEST(ok.value() == 1);
  BOOST_CHECK_THROW(bad.value(), test_error);
  BOOST_CHECK_THROW(herd::gather_settled(a, late, herd::gather_options{.timeout = 0ms, .on_failure =
                                                                          failure_policy::leave_pending}),
                    herd::timeout_error);

  std::unordered_map<std::string, herd::future<int>> um{{"x", a}, {"y", herd::make_ready_future(5)}};
  auto got = herd::gather(um);
  static_assert(std::is_same_v<decltype(got), std::unordered_map<std::string, int>>);
  BOOST_TEST(got.at("y") == 5);
  auto settled = herd::gather_settled(um);
  static_assert(std::is_same_v<decltype(settled), std::unordered_map<std::string, herd::outcome<int>>>);
  BOOST_TEST(settled.at("x").value() == 1);
  pending.set_value(3);
}

BOOST_AUTO_TEST_CASE(fail_fast_cancels_the_pending_inputs)
{
  promises p(3);
  p.ps[1].set_exception(std::make_exception_ptr(test_error(1)));
  try
  {
    herd::gather(p.fs);
    BOOST_FAIL("no failure");
  }
  catch (const test_error& e)
  {
    BOOST_TEST(e.code == 1);
  }
  BOOST_TEST((p.fs[0].state() == task_state::cancelled));
  BOOST_TEST((p.fs[2].state() == task_state::cancelled));
}

BOOST_AUTO_TEST_CASE(leave_pending_leaves_the_pending_inputs)
{
  promises p(2);
  p.ps[0].set_exception(std::make_exception_ptr(test_error(2)));
  BOOST_CHECK_THROW(herd::gather(p.fs, {.on_failure = failure_policy::leave_pending}), test_error);
  BOOST_TEST((p.fs[1].state() == task_state::pending));
  p.ps[1].set_value(1);
  BOOST_TEST(p.fs[1].get() == 1);
}

BOOST_AUTO_TEST_CASE(the_first_failure_in_completion_order_is_raised)
{
  promises p(3);
  herd::gather_options o;
  o.on_failure = failure_policy::leave_pending;
  o.progress = [&](std::size_t done, std::size_t, std::chrono::duration<double>)
  {
    // Runs on the gathering thread once it waits: fail input 2, then input 0.
    if (done == 0)
    {
      p.ps[2].set_exception(std::make_exception_ptr(test_error(20)));
      p.ps[0].set_exception(std::make_exception_ptr(test_error(0)));
    }
  };
  try
  {
    herd::gather(p.fs, o);
    BOOST_FAIL("no failure");
  }
  catch (const test_error& e)
  {
    BOOST_TEST(e.code == 20);
  }
}

BOOST_AUTO_TEST_CASE(timeout_applies_the_policy)
{
  {
    promises p(2);
    p.ps[0].set_value(0);
    BOOST_CHECK_THROW(herd::gather(p.fs, {.timeout = 1ms}), herd::timeout_error);
    BOOST_TEST((p.fs[1].state() == task_state::cancelled));
  }
  {
    promises p(2);
    BOOST_CHECK_THROW(herd::gather(p.fs, {.timeout = 0ms, .on_failure = failure_policy::leave_pending}),
                      herd::timeout_error);
    BOOST_TEST((p.fs[0].state() == task_state::pending));
  }
}

BOOST_AUTO_TEST_CASE(gather_settled_never_raises_a_task_failure)
{
  promises p(3);
  p.ps[0].set_value(7);
  p.ps[1].set_exception(std::make_exception_ptr(test_error(3)));
  p.fs[2].cancel();
  std::vector<herd::outcome<int>> o = herd::gather_settled(p.fs);
  BOOST_TEST(o[0].value() == 7);
  BOOST_TEST(code_of(o[1].error()) == 3);
  BOOST_CHECK_THROW(o[2].value(), herd::cancelled_error);

  std::map<int, herd::future<int>> m{{4, p.fs[0]}, {5, p.fs[1]}};
  auto om = herd::gather_settled(m);
  BOOST_TEST(om.at(4).value() == 7);
  BOOST_TEST(!om.at(5).has_value());
}

BOOST_AUTO_TEST_CASE(gather_iter_yields_pairs_in_completion_order)
{
  promises p(3);
  auto view = herd::gather_iter(p.fs);
  p.ps[1].set_value(10);
  auto it = view.begin();
  BOOST_TEST(it->first == 1u);
  BOOST_TEST(it->second == 10);
  p.ps[2].set_value(20);
  ++it;
  BOOST_TEST(it->first == 2u);
  p.ps[0].set_value(0);
  ++it;
  BOOST_TEST(it->first == 0u);
  ++it;
  BOOST_TEST((it == view.end()));
}

BOOST_AUTO_TEST_CASE(gather_iter_raises_a_failure_when_reached_and_cancels_the_rest)
{
  promises p(3);
  p.ps[0].set_value(0);
  p.ps[1].set_exception(std::make_exception_ptr(test_error(9)));
  std::vector<std::size_t> seen;
  try
  {
    for (auto& [index, value] : herd::gather_iter(p.fs))
      seen.push_back(index);
    BOOST_FAIL("no failure");
  }
  catch (const test_error& e)
  {
    BOOST_TEST(e.code == 9);
  }
  BOOST_TEST((seen == std::vector<std::size_t>{0}));
  BOOST_TEST((p.fs[2].state() == task_state::cancelled));
}

BOOST_AUTO_TEST_CASE(leaving_gather_iter_early_applies_the_policy)
{
  {
    promises p(2);
    p.ps[0].set_value(0);
    for (auto& item : herd::gather_iter(p.fs))
    {
      BOOST_TEST(item.second == 0);
      break;
    }
    BOOST_TEST((p.fs[1].state() == task_state::cancelled));
  }
  {
    promises p(2);
    p.ps[0].set_value(0);
    for (auto& item : herd::gather_iter(p.fs, {.on_failure = failure_policy::leave_pending}))
    {
      BOOST_TEST(item.second == 0);
      break;
    }
    BOOST_TEST((p.fs[1].state() == task_state::pending));
  }
}

BOOST_AUTO_TEST_CASE(gather_iter_keeps_map_keys_and_times_out_over_the_whole_loop)
{
  promises p(2);
  p.ps[0].set_value(1);
  std::map<std::string, herd::future<int>> m{{"first", p.fs[0]}, {"second", p.fs[1]}};
  auto view = herd::gather_iter(m, {.timeout = 1ms});
  auto it = view.begin();
  BOOST_TEST(it->first == "first");
  BOOST_CHECK_THROW(++it, herd::timeout_error);
}

BOOST_AUTO_TEST_CASE(gather_iter_settled_yields_outcomes)
{
  promises p(2);
  p.ps[0].set_exception(std::make_exception_ptr(test_error(4)));
  p.ps[1].set_value(8);
  int failures = 0, values = 0;
  for (auto& [index, o] : herd::gather_iter_settled(p.fs))
  {
    if (o.has_value())
      values += o.value();
    else
      failures += code_of(o.error()) == 4;
  }
  BOOST_TEST(failures == 1);
  BOOST_TEST(values == 8);
}

BOOST_AUTO_TEST_CASE(gather_over_executor_tasks, *boost::unit_test::timeout(120))
{
  herd::async_executor ex(2);
  std::vector<herd::future<long>> fs;
  for (long i = 0; i < 10000; ++i)
    fs.push_back(ex.submit([i] { return i * 2; }));
  std::vector<long> v = herd::gather(fs);
  long sum = 0;
  for (std::size_t i = 0; i < v.size(); ++i)
  {
    BOOST_TEST_REQUIRE(v[i] == static_cast<long>(i) * 2);
    sum += v[i];
  }
  BOOST_TEST(sum == 9999L * 10000L);

  // A failing task fails the gather and cancels what is still queued.
  herd::async_executor one(1);
  herd::promise<void> gate;
  auto blocker = one.submit([g = gate.get_future()] { g.wait(); });
  std::vector<herd::future<int>> mixed{one.submit([]() -> int { throw test_error(5); }),
                                       one.submit([] { return 1; })};
  std::thread opener([&] { gate.set_value(); });
  BOOST_CHECK_THROW(herd::gather(mixed), test_error);
  opener.join();
  one.shutdown();
  BOOST_TEST((mixed[1].state() == task_state::cancelled || mixed[1].state() == task_state::completed));
  herd::test::check_balanced(one.stats());
}

// gather's and gather_iter's blocking timeouts run on a herd::clock: the
// inputs' executor's by default, gather_options::clock when given. A timed
// out gather applies its policy (cancel_pending) to what is unfinished.
BOOST_AUTO_TEST_CASE(blocking_gather_timeouts_run_on_a_herd_clock, *boost::unit_test::timeout(60))
{
  herd::testing::manual_clock clock;
  herd::async_executor ex(1, clock);
  herd::promise<void> gate;
  auto blocker = ex.submit([g = gate.get_future()] { g.wait(); });
  std::vector<herd::future<int>> fs{ex.submit([] { return 1; })}; // queued behind the blocker
  const auto t0 = clock.now();
  bool armed = false;
  std::thread advancer(
      [&]
      {
        armed = clock.wait_pending(1);
        clock.advance(2h);
      });
  BOOST_CHECK_THROW(herd::gather(fs, {.timeout = 2h}), herd::timeout_error);
  advancer.join();
  BOOST_TEST(armed);
  BOOST_TEST((clock.now() == t0 + 2h));
  BOOST_TEST((fs[0].state() == task_state::cancelled));

  promises p(2);
  p.ps[1].set_value(5);
  auto view = herd::gather_iter(p.fs, {.timeout = 10min, .on_failure = herd::failure_policy::leave_pending, .clock = &clock});
  auto it = view.begin();
  BOOST_TEST(it->second == 5);
  std::thread advancer2(
      [&]
      {
        armed = clock.wait_pending(1);
        clock.advance(10min);
      });
  BOOST_CHECK_THROW(++it, herd::timeout_error);
  advancer2.join();
  BOOST_TEST(armed);
  BOOST_TEST(clock.pending() == 0u);
  gate.set_value();
  blocker.get();
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(gather_foreign)

BOOST_AUTO_TEST_CASE(std_futures_are_polled_and_read_once, *boost::unit_test::timeout(60))
{
  std::vector<std::promise<int>> ps(3);
  std::vector<std::future<int>> fs;
  for (auto& p : ps)
    fs.push_back(p.get_future());
  ps[0].set_value(0);
  ps[2].set_value(2);
  std::thread setter([&] { ps[1].set_value(1); });
  std::vector<int> v = herd::gather(fs, {.polling = herd::polling_algorithm::progressive});
  setter.join();
  BOOST_TEST((v == std::vector<int>{0, 1, 2}));
  BOOST_TEST(!fs[0].valid()); // consumed
}

BOOST_AUTO_TEST_CASE(std_future_failures_timeouts_and_settled_outcomes)
{
  {
    std::vector<std::promise<int>> ps(2);
    std::vector<std::future<int>> fs;
    for (auto& p : ps)
      fs.push_back(p.get_future());
    ps[1].set_exception(std::make_exception_ptr(test_error(6)));
    BOOST_CHECK_THROW(herd::gather(fs), test_error); // fails fast: input 0 never set
  }
  {
    std::promise<int> never;
    std::vector<std::shared_future<int>> fs{never.get_future().share()};
    BOOST_CHECK_THROW(herd::gather(fs, {.timeout = 1ms}), herd::timeout_error);
  }
  {
    std::vector<std::promise<void>> ps(2);
    std::vector<std::future<void>> fs;
    for (auto& p : ps)
      fs.push_back(p.get_future());
    ps[0].set_value();
    ps[1].set_exception(std::make_exception_ptr(test_error(8)));
    auto o = herd::gather_settled(fs);
    BOOST_TEST(o[0].has_value());
    BOOST_TEST(code_of(o[1].error()) == 8);
  }
  {
    // A deferred std::async future runs when gather reaches it.
    std::vector<std::future<int>> fs;
    fs.push_back(std::async(std::launch::deferred, [] { return 42; }));
    BOOST_TEST(herd::gather(fs).front() == 42);
  }
}

BOOST_AUTO_TEST_CASE(wait_over_shared_futures)
{
  std::promise<int> a, b;
  std::vector<std::shared_future<int>> fs{a.get_future().share(), b.get_future().share()};
  b.set_value(2);
  auto [done, not_done] = herd::wait(fs, {.when = herd::return_when::first_completed});
  BOOST_TEST(done.size() == 1u);
  BOOST_TEST(done[0].get() == 2);
  BOOST_TEST(not_done.size() == 1u);
  a.set_exception(std::make_exception_ptr(test_error(1)));
  auto r = herd::wait(fs, {.when = herd::return_when::first_exception});
  BOOST_TEST(r.done.size() == 2u);
  BOOST_CHECK_THROW(herd::wait(std::vector<std::shared_future<int>>{std::promise<int>().get_future().share()},
                               {.timeout = 0ms}),
                    herd::timeout_error);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(async_gather_iter)

using herd::test::clock_fixture;
namespace net = boost::asio;

// Pulls one item of a stream on the fixture's io_context.
template <class T>
std::optional<T> pull(clock_fixture& f, herd::stream<T>& s)
{
  herd::test::recorder<std::exception_ptr, std::optional<T>> r(f.ctx);
  s.async_next(r.handler());
  f.poll();
  BOOST_REQUIRE_EQUAL(r.calls(), 1);
  if (r.template get<0>())
    std::rethrow_exception(r.template get<0>());
  return r.template get<1>();
}

BOOST_AUTO_TEST_CASE(yields_index_and_value_in_completion_order)
{
  clock_fixture f;
  promises p(3);
  auto s = herd::async_gather_iter(f.ex, p.fs);
  f.poll(); // the stream waits for the inputs from now on
  p.ps[2].set_value(20);
  p.ps[0].set_value(0);
  auto a = pull(f, s);
  BOOST_REQUIRE(a);
  BOOST_TEST(a->first == 2u);
  BOOST_TEST(a->second == 20);
  BOOST_TEST(pull(f, s)->first == 0u);
  herd::test::recorder<std::exception_ptr, std::optional<std::pair<std::size_t, int>>> r(f.ctx);
  s.async_next(r.handler());
  f.poll();
  BOOST_TEST(r.calls() == 0); // waits for the last one
  p.ps[1].set_value(10);
  f.poll();
  BOOST_REQUIRE(r.calls() == 1);
  BOOST_TEST(r.get<1>()->second == 10);
  BOOST_TEST(!pull(f, s).has_value());
}

BOOST_AUTO_TEST_CASE(keys_of_a_map_and_a_failure_when_reached)
{
  clock_fixture f;
  herd::promise<std::string> a, b, c;
  std::map<std::string, herd::future<std::string>> m{
      {"a", a.get_future()}, {"b", b.get_future()}, {"c", c.get_future()}};
  auto s = herd::async_gather_iter(f.ex, m);
  f.poll();
  b.set_value("B");
  a.set_exception(std::make_exception_ptr(test_error(1)));
  auto first = pull(f, s);
  BOOST_REQUIRE(first);
  BOOST_TEST(first->first == "b");
  BOOST_CHECK_EXCEPTION(pull(f, s), test_error, [](const test_error& e) { return e.code == 1; });
  f.poll();
  BOOST_TEST((m.at("c").state() == task_state::cancelled)); // cancel_pending by default
  BOOST_TEST(!pull(f, s).has_value());
}

BOOST_AUTO_TEST_CASE(settled_form_timeout_and_leaving_early)
{
  clock_fixture f;
  {
    promises p(2);
    auto s = herd::async_gather_iter_settled(f.ex, p.fs);
    f.poll();
    p.ps[1].set_exception(std::make_exception_ptr(test_error(2)));
    p.ps[0].set_value(5);
    auto x = pull(f, s);
    BOOST_REQUIRE(x);
    BOOST_TEST(x->first == 1u);
    BOOST_TEST(!x->second.has_value());
    BOOST_TEST(pull(f, s)->second.value() == 5);
  }
  {
    promises p(2);
    auto s = herd::async_gather_iter(f.ex, p.fs, {.timeout = 1s});
    p.ps[0].set_value(1);
    BOOST_TEST(pull(f, s)->second == 1);
    herd::test::recorder<std::exception_ptr, std::optional<std::pair<std::size_t, int>>> r(f.ctx);
    s.async_next(r.handler());
    f.advance(999ms);
    BOOST_TEST(r.calls() == 0);
    f.advance(1ms);
    BOOST_REQUIRE(r.calls() == 1);
    BOOST_CHECK_THROW(std::rethrow_exception(r.get<0>()), herd::timeout_error);
    BOOST_TEST((p.fs[1].state() == task_state::cancelled));
  }
  {
    promises p(3);
    {
      auto s = herd::async_gather_iter(f.ex, p.fs, {.on_failure = failure_policy::leave_pending});
      p.ps[0].set_value(1);
      BOOST_TEST(pull(f, s)->second == 1);
    } // left early: leave_pending keeps the rest
    f.poll();
    BOOST_TEST((p.fs[1].state() == task_state::pending));
    auto s = herd::async_gather_iter(f.ex, p.fs);
    BOOST_TEST(pull(f, s)->first == 0u);
    s.stop(); // left early: cancel_pending
    f.poll();
    BOOST_TEST((p.fs[1].state() == task_state::cancelled));
    BOOST_TEST((p.fs[2].state() == task_state::cancelled));
  }
  BOOST_TEST(f.clock.pending() == 0u);
}

BOOST_AUTO_TEST_CASE(leaving_early_under_leave_pending_withdraws_the_parked_waits)
{
  // The inputs go on, but the stream's waits on them are withdrawn: no work
  // of the stream is left on the executor, so run() returns.
  clock_fixture f;
  promises p(3);
  {
    auto s = herd::async_gather_iter(f.ex, p.fs, {.on_failure = failure_policy::leave_pending});
    p.ps[1].set_value(7);
    BOOST_TEST(pull(f, s)->second == 7);
  }
  f.poll();
  BOOST_TEST(f.ctx.stopped()); // poll() ran out of work: nothing is parked
  BOOST_TEST((p.fs[0].state() == task_state::pending));
  BOOST_TEST((p.fs[2].state() == task_state::pending));
  p.ps[0].set_value(1); // an input that ends later finds no wait
  f.poll();
  BOOST_TEST(f.ctx.stopped());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(zip)

using herd::test::clock_fixture;
using herd::test::recorder;
namespace net = boost::asio;
using zipped = std::tuple<int, std::string, std::monostate>;

BOOST_AUTO_TEST_CASE(every_value_as_a_tuple_through_any_token)
{
  clock_fixture f;
  herd::promise<int> a;
  herd::promise<std::string> b;
  herd::promise<void> c;
  auto fa = a.get_future();
  auto fb = b.get_future();
  auto fc = c.get_future();
  recorder<std::exception_ptr, zipped> r(f.ctx);
  herd::zip(fa, fb, fc, r.handler());
  f.poll();
  b.set_value("two");
  a.set_value(1);
  f.poll();
  BOOST_TEST(r.calls() == 0);
  c.set_value();
  f.poll();
  BOOST_REQUIRE(r.calls() == 1);
  BOOST_TEST(!r.get<0>());
  BOOST_TEST(std::get<0>(r.get<1>()) == 1);
  BOOST_TEST(std::get<1>(r.get<1>()) == "two");

  // Without a token: a deferred operation.
  auto t = herd::test::run_on(f.ctx, [&]() -> net::awaitable<std::tuple<int, std::string>>
                              { co_return co_await herd::zip(fa, fb)(net::use_awaitable); }());
  BOOST_TEST(std::get<1>(t) == "two");
}

BOOST_AUTO_TEST_CASE(the_first_failure_completes_at_once_and_cancels_the_rest)
{
  clock_fixture f;
  promises p(3);
  recorder<std::exception_ptr, std::tuple<int, int, int>> r(f.ctx);
  herd::zip(p.fs[0], p.fs[1], p.fs[2], r.handler());
  p.ps[0].set_value(1);
  p.ps[2].set_exception(std::make_exception_ptr(test_error(2)));
  f.poll();
  BOOST_REQUIRE(r.calls() == 1);
  BOOST_CHECK_EXCEPTION(std::rethrow_exception(r.get<0>()), test_error, [](const test_error& e) { return e.code == 2; });
  BOOST_TEST((p.fs[1].state() == task_state::cancelled));
  BOOST_TEST((p.fs[0].state() == task_state::completed));
}

BOOST_AUTO_TEST_CASE(cancelling_it_aborts_and_cancels_the_inputs)
{
  clock_fixture f;
  promises p(2);
  net::cancellation_signal sig;
  recorder<std::exception_ptr, std::tuple<int, int>> r(f.ctx);
  herd::zip(p.fs[0], p.fs[1], net::bind_cancellation_slot(sig.slot(), r.handler()));
  p.ps[0].set_value(1);
  f.poll();
  sig.emit(net::cancellation_type::terminal);
  f.poll();
  BOOST_REQUIRE(r.calls() == 1);
  BOOST_CHECK_EXCEPTION(std::rethrow_exception(r.get<0>()), boost::system::system_error,
                        [](const boost::system::system_error& e) { return e.code() == net::error::operation_aborted; });
  BOOST_TEST((p.fs[1].state() == task_state::cancelled));
}

BOOST_AUTO_TEST_SUITE_END()
