// Tests of herd/stream.hpp and herd/stream/*.hpp: the stream and its sink,
// sources, operators, sinks, blocking iteration, the Boost 1.81 channel
// defects, and a 1,000,000-item pipeline. Timing runs on the manual clock.
#include "test_support.hpp"

#include <herd/stream.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>
#include <numeric>

namespace net = boost::asio;
namespace hs = herd::streams;
using namespace std::chrono_literals;
using herd::test::clock_fixture;
using herd::test::recorder;
using herd::test::sleep_for;
using herd::test::test_error;
using ec_t = boost::system::error_code;

namespace stream_test {

// a, a+1, ..., b-1 (a vector, not std::views::iota: clang 14 cannot compile
// libstdc++ 12's views).
template <class T>
std::vector<T> seq(T a, T b)
{
  std::vector<T> v;
  for (T x = a; x < b; ++x)
    v.push_back(x);
  return v;
}

// A range that counts how often its elements are read.
struct counted_range
{
  std::vector<int> v;
  int* reads;
  struct iterator
  {
    using value_type = int;
    using difference_type = std::ptrdiff_t;
    using reference = int;
    using pointer = void;
    using iterator_category = std::input_iterator_tag;
    const int* p;
    int* reads;
    int operator*() const
    {
      ++*reads;
      return *p;
    }
    iterator& operator++()
    {
      ++p;
      return *this;
    }
    bool operator==(const iterator& o) const { return p == o.p; }
  };
  iterator begin() const { return {v.data(), reads}; }
  iterator end() const { return {v.data() + v.size(), reads}; }
};

// What a producer body saw: how many pushes completed, and whether it ended
// (and how).
struct producer_log
{
  int pushed = 0;
  bool exited = false;
  std::string exit_reason;
};

// A producer that pushes 0, 1, 2, ... forever (until stopped).
herd::stream<int> endless(const net::any_io_executor& ex, std::shared_ptr<producer_log> log, std::size_t capacity = 2)
{
  return hs::generate<int>(
      ex,
      [log](herd::stream_sink<int>& out) -> net::awaitable<void>
      {
        try
        {
          for (int i = 0;; ++i)
          {
            co_await out.async_push(i, net::use_awaitable);
            ++log->pushed;
          }
        }
        catch (const boost::system::system_error& e)
        {
          log->exit_reason = e.code() == herd::errc::stream_closed ? "stream_closed" : e.code().message();
          log->exited = true;
          throw;
        }
      },
      capacity);
}

// Pulls every item with callbacks on the fixture's io_context.
template <class T>
struct puller
{
  explicit puller(clock_fixture& f, herd::stream<T>& s) : f_(f), s_(s) {}
  // Starts one async_next; returns the recorder.
  recorder<std::exception_ptr, std::optional<T>> next()
  {
    recorder<std::exception_ptr, std::optional<T>> r(f_.ctx);
    s_.async_next(r.handler());
    return r;
  }
  // One item, polling until it arrives (BOOST_REQUIREs that it does).
  std::optional<T> get()
  {
    auto r = next();
    f_.poll();
    BOOST_REQUIRE_EQUAL(r.calls(), 1);
    if (r.template get<0>())
      std::rethrow_exception(r.template get<0>());
    return r.template get<1>();
  }
  clock_fixture& f_;
  herd::stream<T>& s_;
};

} // namespace stream_test

using namespace stream_test;

BOOST_AUTO_TEST_SUITE(stream_core)

BOOST_AUTO_TEST_CASE(async_next_delivers_in_order_then_the_end_every_time)
{
  clock_fixture f;
  auto s = hs::from_range(f.ex, std::vector{1, 2, 3});
  puller<int> p(f, s);
  auto r = p.next();
  BOOST_TEST(r.calls() == 0); // never inside the initiating call
  f.poll();
  BOOST_REQUIRE(r.calls() == 1);
  BOOST_TEST(*r.get<1>() == 1);
  BOOST_TEST(*p.get() == 2);
  BOOST_TEST(*p.get() == 3);
  BOOST_TEST(!p.get().has_value());
  BOOST_TEST(!p.get().has_value()); // still the end
}

BOOST_AUTO_TEST_CASE(the_end_is_distinct_from_empty_optionals_and_null_pointers)
{
  clock_fixture f;
  auto s = hs::from_range(f.ex, std::vector<std::optional<int>>{std::nullopt, 5, std::nullopt});
  puller<std::optional<int>> p(f, s);
  auto a = p.get();
  BOOST_REQUIRE(a.has_value()); // an item...
  BOOST_TEST(!a->has_value());  // ...that is an empty optional
  BOOST_TEST(**p.get() == 5);
  auto c = p.get();
  BOOST_REQUIRE(c.has_value());
  BOOST_TEST(!c->has_value());
  BOOST_TEST(!p.get().has_value()); // the end

  int x = 1;
  auto ps = hs::from_range(f.ex, std::vector<int*>{nullptr, &x});
  puller<int*> pp(f, ps);
  auto n = pp.get();
  BOOST_REQUIRE(n.has_value());
  BOOST_TEST(*n == nullptr);
  BOOST_TEST(*pp.get() == &x);
  BOOST_TEST(!pp.get().has_value());
}

BOOST_AUTO_TEST_CASE(a_producer_exception_comes_after_the_items_before_it)
{
  clock_fixture f;
  auto s = hs::generate<int>(f.ex,
                             [](herd::stream_sink<int>& out) -> net::awaitable<void>
                             {
                               co_await out.async_push(1, net::use_awaitable);
                               co_await out.async_push(2, net::use_awaitable);
                               throw test_error(7);
                             });
  puller<int> p(f, s);
  BOOST_TEST(*p.get() == 1);
  BOOST_TEST(*p.get() == 2);
  BOOST_CHECK_EXCEPTION(p.get(), test_error, [](const test_error& e) { return e.code == 7; });
  BOOST_TEST(!p.get().has_value());
}

BOOST_AUTO_TEST_CASE(destroying_the_stream_stops_its_producer)
{
  clock_fixture f;
  auto log = std::make_shared<producer_log>();
  {
    auto s = endless(f.ex, log);
    puller<int> p(f, s);
    BOOST_TEST(*p.get() == 0);
    BOOST_TEST(!log->exited);
  }
  f.poll();
  BOOST_TEST(log->exited);
  BOOST_TEST(log->exit_reason == "stream_closed");
  BOOST_TEST(f.ctx.stopped()); // no task left: the io_context ran out of work
}

BOOST_AUTO_TEST_CASE(cancelling_a_wait_stops_the_producer_wherever_it_waits)
{
  clock_fixture f;
  bool aborted = false;
  auto s = hs::generate<int>(f.ex,
                             [&](herd::stream_sink<int>&) -> net::awaitable<void>
                             {
                               try
                               {
                                 co_await sleep_for(1h);
                               }
                               catch (const boost::system::system_error& e)
                               {
                                 aborted = e.code() == net::error::operation_aborted;
                               }
                             });
  net::cancellation_signal sig;
  recorder<std::exception_ptr, std::optional<int>> r(f.ctx);
  s.async_next(net::bind_cancellation_slot(sig.slot(), r.handler()));
  f.poll();
  BOOST_TEST(r.calls() == 0);
  sig.emit(net::cancellation_type::terminal);
  f.poll();
  BOOST_REQUIRE(r.calls() == 1);
  BOOST_CHECK_THROW(std::rethrow_exception(r.get<0>()), herd::cancelled_error);
  BOOST_TEST(aborted);
  puller<int> p(f, s);
  BOOST_TEST(!p.get().has_value()); // stopped: the end
  BOOST_TEST(f.clock.pending() == 0u);
}

BOOST_AUTO_TEST_CASE(push_and_next_take_the_fast_path_and_keep_the_rules)
{
  net::io_context ctx;
  auto s = hs::generate<std::string>(
      ctx.get_executor(),
      [](herd::stream_sink<std::string>& out) -> net::awaitable<void>
      {
        for (int i = 0; i < 100; ++i)
          co_await out.push(std::to_string(i));
        throw test_error(100);
      },
      8);
  auto got = herd::test::run_on(ctx,
                 [](herd::stream<std::string> s) -> net::awaitable<std::vector<std::string>>
                 {
                   std::vector<std::string> v;
                   try
                   {
                     while (auto x = co_await s.next())
                       v.push_back(*x);
                   }
                   catch (const test_error& e)
                   {
                     v.push_back("error " + std::to_string(e.code));
                   }
                   auto after = co_await s.next();
                   v.push_back(after ? "item" : "end");
                   co_return v;
                 }(std::move(s)));
  BOOST_REQUIRE(got.size() == 102u);
  BOOST_TEST(got[0] == "0");
  BOOST_TEST(got[99] == "99");
  BOOST_TEST(got[100] == "error 100");
  BOOST_TEST(got[101] == "end");

  // push() on a stopped stream throws stream_closed; the body ends.
  bool closed = false;
  auto s2 = hs::generate<int>(ctx.get_executor(),
                              [&](herd::stream_sink<int>& out) -> net::awaitable<void>
                              {
                                try
                                {
                                  for (int i = 0;; ++i)
                                    co_await out.push(i);
                                }
                                catch (const boost::system::system_error& e)
                                {
                                  closed = e.code() == herd::errc::stream_closed;
                                }
                              },
                              4);
  ctx.restart();
  ctx.poll();
  s2.stop();
  ctx.restart();
  ctx.run();
  BOOST_TEST(closed);
}

BOOST_AUTO_TEST_CASE(one_async_next_at_a_time)
{
  clock_fixture f;
  auto log = std::make_shared<producer_log>();
  auto s = hs::generate<int>(f.ex, [](herd::stream_sink<int>&) -> net::awaitable<void> { co_await sleep_for(1s); });
  recorder<std::exception_ptr, std::optional<int>> r(f.ctx);
  s.async_next(r.handler());
  BOOST_CHECK_THROW(s.async_next(r.handler()), std::logic_error);
  f.advance(1s);
  BOOST_TEST(r.calls() == 1);
  BOOST_TEST(!r.get<1>().has_value());
}

BOOST_AUTO_TEST_CASE(empty_streams_and_bad_arguments_are_named)
{
  clock_fixture f;
  herd::stream<int> empty;
  BOOST_TEST(!empty.valid());
  BOOST_CHECK_EXCEPTION(empty.async_next([](std::exception_ptr, std::optional<int>) {}), std::invalid_argument,
                        [](const std::invalid_argument& e) { return herd::test::message_names(e, "async_next"); });
  auto s = hs::from_range(f.ex, std::vector{1});
  auto t = std::move(s);
  BOOST_CHECK_EXCEPTION(std::move(s) | hs::filter([](int) { return true; }), std::invalid_argument,
                        [](const std::invalid_argument& e) { return herd::test::message_names(e, "filter"); });
  BOOST_CHECK_EXCEPTION(hs::from_range(net::any_io_executor(), std::vector{1}), std::invalid_argument,
                        [](const std::invalid_argument& e) { return herd::test::message_names(e, "ex"); });
  BOOST_CHECK_EXCEPTION(hs::batch(0), std::invalid_argument,
                        [](const std::invalid_argument& e) { return herd::test::message_names(e, "size"); });
  BOOST_CHECK_EXCEPTION(hs::batch(3, 0s), std::invalid_argument,
                        [](const std::invalid_argument& e) { return herd::test::message_names(e, "max_wait"); });
  BOOST_CHECK_EXCEPTION(hs::buffer(0), std::invalid_argument,
                        [](const std::invalid_argument& e) { return herd::test::message_names(e, "n must"); });
  BOOST_CHECK_EXCEPTION(hs::map([](int x) { return x; }, {.concurrency = 0}), std::invalid_argument,
                        [](const std::invalid_argument& e) { return herd::test::message_names(e, "concurrency"); });
  BOOST_CHECK_EXCEPTION(hs::throttle(0), std::invalid_argument,
                        [](const std::invalid_argument& e) { return herd::test::message_names(e, "rate"); });
  BOOST_CHECK_EXCEPTION(hs::throttle(1, 0s), std::invalid_argument,
                        [](const std::invalid_argument& e) { return herd::test::message_names(e, "per"); });
  BOOST_CHECK_EXCEPTION(hs::throttle(1, 1s, 0), std::invalid_argument,
                        [](const std::invalid_argument& e) { return herd::test::message_names(e, "burst"); });
  BOOST_CHECK_EXCEPTION(hs::timeout(0s), std::invalid_argument,
                        [](const std::invalid_argument& e) { return herd::test::message_names(e, "per_item"); });
  BOOST_CHECK_EXCEPTION(hs::merge(std::vector<herd::stream<int>>{}), std::invalid_argument,
                        [](const std::invalid_argument& e) { return herd::test::message_names(e, "merge"); });
}

BOOST_AUTO_TEST_CASE(any_completion_token)
{
  net::thread_pool pool(2);
  auto s = hs::from_range(pool.get_executor(), std::vector{4, 5});
  std::future<std::optional<int>> a = s.async_next(net::use_future);
  BOOST_TEST(*a.get() == 4);
  auto v = hs::to_vector(std::move(s), net::use_future).get();
  BOOST_TEST(v == std::vector<int>{5});
  pool.join();
}

BOOST_AUTO_TEST_CASE(the_design_pipeline_in_a_coroutine)
{
  net::io_context ctx;
  auto v = herd::test::run_on(ctx,
               [&]() -> net::awaitable<std::vector<std::vector<int>>>
               {
                 auto ex = co_await net::this_coro::executor;
                 herd::stream<int> s = hs::from_range(ex, seq(0, 1000));
                 auto pred = [](int x) { return x % 3 != 0; };
                 auto f = [](int x) -> net::awaitable<int> { co_return x * 2; };
                 co_return co_await hs::to_vector(std::move(s) | hs::filter(pred) |
                                                      hs::map(f, {.concurrency = 4, .ordered = true}) |
                                                      hs::batch(100, 5s),
                                                  net::use_awaitable);
               }());
  std::vector<int> flat;
  for (auto& b : v)
  {
    BOOST_TEST(b.size() <= 100u);
    flat.insert(flat.end(), b.begin(), b.end());
  }
  std::vector<int> want;
  for (int x = 0; x < 1000; ++x)
    if (x % 3 != 0)
      want.push_back(2 * x);
  BOOST_TEST(flat == want);
  BOOST_TEST(v.size() == 7u);
}

// A push cancelled through the caller's slot completes with
// operation_aborted and leaves nothing in the slot: the channel's own send
// (what async_push was before) left its filter there, pointing at the
// channel, so a later emit on the caller's signal, after the stream was
// gone, read freed memory (ASan: heap-use-after-free in
// channel_service::cancel_by_key), and it reported channel_cancelled.
BOOST_AUTO_TEST_CASE(a_cancelled_push_leaves_nothing_in_the_callers_slot)
{
  net::io_context ctx;
  // The node a generate body's sink pushes into, full (capacity 1).
  auto node = std::make_shared<herd::detail::channel_node<int>>(ctx.get_executor(), 1);
  auto sink = std::make_unique<herd::stream_sink<int>>(node);
  int first = 1;
  BOOST_REQUIRE(sink->try_push(first));
  net::cancellation_signal sig;
  ec_t got;
  int calls = 0;
  sink->async_push(2, net::bind_cancellation_slot(sig.slot(),
                                                  [&](ec_t ec)
                                                  {
                                                    got = ec;
                                                    ++calls;
                                                  }));
  ctx.poll();
  BOOST_TEST(calls == 0); // waits for room
  sig.emit(net::cancellation_type::terminal);
  ctx.poll();
  BOOST_TEST(calls == 1);
  BOOST_TEST(got == net::error::operation_aborted);
  BOOST_TEST(!sig.slot().has_handler());
  // The stream goes away; a late emit on the caller's signal finds nothing.
  sink.reset();
  node->stop();
  node.reset();
  ctx.poll();
  sig.emit(net::cancellation_type::terminal);
  BOOST_TEST(calls == 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stream_sources)

BOOST_AUTO_TEST_CASE(from_range_copies_an_lvalue_and_runs_ahead_by_its_capacity)
{
  clock_fixture f;
  std::vector<int> src{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  int reads = 0;
  counted_range counted{src, &reads};
  auto s = hs::from_range(f.ex, counted, 4);
  f.poll();
  BOOST_TEST(reads == 5); // 4 in the channel, 1 in the producer's hand
  s.stop();
  auto copy = hs::from_range(f.ex, src);
  src.assign(3, 0);
  auto v = herd::test::run_on(f.ctx, hs::to_vector(std::move(copy), net::use_awaitable));
  BOOST_TEST(v == (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
}

BOOST_AUTO_TEST_CASE(generate_ends_when_its_body_returns)
{
  clock_fixture f;
  auto s = hs::generate<std::string>(f.ex,
                                     [](herd::stream_sink<std::string>& out) -> net::awaitable<void>
                                     {
                                       for (int i = 0; i < 3; ++i)
                                       {
                                         co_await sleep_for(1s);
                                         std::string v = std::to_string(i); // named (g++ 12 temporaries)
                                         co_await out.async_push(std::move(v), net::use_awaitable);
                                       }
                                     });
  std::vector<std::pair<std::string, double>> got;
  hs::for_each(std::move(s), [&](std::string x) { got.emplace_back(x, f.elapsed()); },
               [](std::exception_ptr e) { BOOST_TEST(!e); });
  f.advance(5s);
  BOOST_REQUIRE(got.size() == 3u);
  BOOST_TEST(got[0].first == "0");
  BOOST_TEST(got[2].first == "2");
  BOOST_TEST(got[0].second == 1.0);
  BOOST_TEST(got[2].second == 3.0);
}

BOOST_AUTO_TEST_CASE(from_channel_reads_until_eof_close_or_error)
{
  clock_fixture f;
  using chan = net::experimental::concurrent_channel<void(ec_t, int)>;
  chan ch(f.ex, 8);
  BOOST_REQUIRE(ch.try_send(ec_t(), 1));
  BOOST_REQUIRE(ch.try_send(ec_t(), 2));
  BOOST_REQUIRE(ch.try_send(net::error::eof, 0)); // the end, losing nothing (close() would drop 1 and 2)
  auto v = herd::test::run_on(f.ctx, hs::to_vector(hs::from_channel(ch), net::use_awaitable));
  BOOST_TEST(v == (std::vector<int>{1, 2}));

  chan ch2(f.ex, 8);
  auto s2 = hs::from_channel(ch2);
  puller<int> p2(f, s2);
  BOOST_REQUIRE(ch2.try_send(ec_t(), 3));
  BOOST_TEST(*p2.get() == 3);
  ch2.close();
  BOOST_TEST(!p2.get().has_value());

  chan ch3(f.ex, 8);
  BOOST_REQUIRE(ch3.try_send(ec_t(), 4));
  BOOST_REQUIRE(ch3.try_send(net::error::connection_reset, 0));
  auto s3 = hs::from_channel(ch3);
  puller<int> p3(f, s3);
  BOOST_TEST(*p3.get() == 4);
  BOOST_CHECK_EXCEPTION(p3.get(), boost::system::system_error, [](const boost::system::system_error& e)
                        { return e.code() == net::error::connection_reset; });
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stream_operators)

BOOST_AUTO_TEST_CASE(filter_map_skip_take_enumerate_compose)
{
  net::io_context ctx;
  auto v = herd::test::run_on(ctx, hs::to_vector(hs::from_range(ctx.get_executor(), seq(0, 100)) |
                                      hs::filter([](int x) { return x % 2 == 1; }) |
                                      hs::map([](int x) { return std::to_string(x); }) | hs::skip(2) | hs::take(3) |
                                      hs::enumerate(),
                                  net::use_awaitable));
  BOOST_REQUIRE(v.size() == 3u);
  BOOST_TEST(v[0].first == 0u);
  BOOST_TEST(v[0].second == "5");
  BOOST_TEST(v[2].first == 2u);
  BOOST_TEST(v[2].second == "9");
}

BOOST_AUTO_TEST_CASE(take_reads_exactly_n_then_stops_the_source)
{
  net::io_context ctx;
  int pulled = 0;
  auto log = std::make_shared<producer_log>();
  auto v = herd::test::run_on(ctx, hs::to_vector(endless(ctx.get_executor(), log, 16) | hs::map(
                                                                             [&](int x)
                                                                             {
                                                                               ++pulled;
                                                                               return x;
                                                                             }) |
                                      hs::take(5),
                                  net::use_awaitable));
  BOOST_TEST(v == (std::vector<int>{0, 1, 2, 3, 4}));
  BOOST_TEST(pulled == 5); // the source runs ahead; take reads exactly 5
  BOOST_TEST(log->exited); // run() returned: the endless producer stopped

  auto none = herd::test::run_on(ctx, hs::to_vector(endless(ctx.get_executor(), log) | hs::take(0), net::use_awaitable));
  BOOST_TEST(none.empty());
}

BOOST_AUTO_TEST_CASE(a_throwing_function_fails_the_stream_after_the_items_before_it)
{
  net::io_context ctx;
  auto log = std::make_shared<producer_log>();
  auto s = endless(ctx.get_executor(), log) | hs::map(
                                                  [](int x)
                                                  {
                                                    if (x == 3)
                                                      throw test_error(3);
                                                    return x;
                                                  });
  std::vector<int> got;
  auto fut = hs::for_each(std::move(s), [&](int x) { got.push_back(x); }, net::use_future);
  ctx.run();
  BOOST_CHECK_THROW(fut.get(), test_error);
  BOOST_TEST(got == (std::vector<int>{0, 1, 2}));
  BOOST_TEST(log->exited);

  auto s2 = endless(ctx.get_executor(), log) | hs::filter(
                                                   [](int x)
                                                   {
                                                     if (x == 2)
                                                       throw test_error(2);
                                                     return true;
                                                   });
  auto fut2 = hs::to_vector(std::move(s2), net::use_future);
  ctx.restart();
  ctx.run();
  BOOST_CHECK_THROW(fut2.get(), test_error);
}

BOOST_AUTO_TEST_CASE(zip_pairs_and_ends_with_the_shorter)
{
  net::io_context ctx;
  auto log = std::make_shared<producer_log>();
  auto v = herd::test::run_on(ctx, hs::to_vector(hs::zip(hs::from_range(ctx.get_executor(), std::vector<std::string>{"a", "b"}),
                                          endless(ctx.get_executor(), log)),
                                  net::use_awaitable));
  BOOST_REQUIRE(v.size() == 2u);
  BOOST_TEST(v[1].first == "b");
  BOOST_TEST(v[1].second == 1);
  BOOST_TEST(log->exited);
}

BOOST_AUTO_TEST_CASE(chain_runs_each_in_turn_and_a_failure_stops_the_rest)
{
  net::io_context ctx;
  auto ex = ctx.get_executor();
  auto v = herd::test::run_on(ctx, hs::to_vector(hs::chain(hs::from_range(ex, std::vector{1, 2}), hs::from_range(ex, std::vector{3}),
                                            hs::from_range(ex, std::vector{4, 5})),
                                  net::use_awaitable));
  BOOST_TEST(v == (std::vector<int>{1, 2, 3, 4, 5}));

  auto log = std::make_shared<producer_log>();
  auto bad = hs::generate<int>(ex,
                               [](herd::stream_sink<int>& out) -> net::awaitable<void>
                               {
                                 co_await out.async_push(1, net::use_awaitable);
                                 throw test_error(1);
                               });
  auto fut = hs::to_vector(hs::chain(std::move(bad), endless(ex, log)), net::use_future);
  ctx.restart();
  ctx.run();
  BOOST_CHECK_THROW(fut.get(), test_error);
  BOOST_TEST(log->exited);
  BOOST_TEST(log->pushed <= 2); // the second stream never ran beyond its channel
}

BOOST_AUTO_TEST_CASE(merge_delivers_every_item_and_ends_when_all_end)
{
  net::io_context ctx;
  auto ex = ctx.get_executor();
  std::vector<herd::stream<int>> ss;
  for (int k = 0; k < 3; ++k)
    ss.push_back(hs::from_range(ex, seq(k * 1000, k * 1000 + 500)));
  auto v = herd::test::run_on(ctx, hs::to_vector(hs::merge(std::move(ss)), net::use_awaitable));
  BOOST_TEST(v.size() == 1500u);
  std::sort(v.begin(), v.end());
  BOOST_TEST((std::adjacent_find(v.begin(), v.end()) == v.end()));
  BOOST_TEST(std::accumulate(v.begin(), v.end(), 0L) == 3L * (499 * 500 / 2) + 500L * (0 + 1000 + 2000));
}

BOOST_AUTO_TEST_CASE(merge_a_failure_stops_the_other_sources)
{
  net::io_context ctx;
  auto ex = ctx.get_executor();
  auto a = std::make_shared<producer_log>();
  auto b = std::make_shared<producer_log>();
  auto bad = hs::generate<int>(ex,
                               [](herd::stream_sink<int>& out) -> net::awaitable<void>
                               {
                                 for (int i = 0; i < 10; ++i)
                                   co_await out.async_push(-1, net::use_awaitable);
                                 throw test_error(9);
                               });
  auto fut = hs::to_vector(hs::merge(endless(ex, a), std::move(bad), endless(ex, b)), net::use_future);
  ctx.run(); // returns: nothing left running
  BOOST_CHECK_EXCEPTION(fut.get(), test_error, [](const test_error& e) { return e.code == 9; });
  BOOST_TEST(a->exited);
  BOOST_TEST(b->exited);
}

BOOST_AUTO_TEST_CASE(buffer_prefetches_up_to_n_and_never_more)
{
  clock_fixture f;
  int pulled = 0;
  auto log = std::make_shared<producer_log>();
  auto s = endless(f.ex, log, 16) | hs::map(
                                        [&](int x)
                                        {
                                          ++pulled;
                                          return x;
                                        }) |
           hs::buffer(3);
  f.poll();
  BOOST_TEST(pulled == 3);
  puller<int> p(f, s);
  BOOST_TEST(*p.get() == 0);
  f.poll();
  BOOST_TEST(pulled == 4);
  BOOST_TEST(*p.get() == 1);
  BOOST_TEST(*p.get() == 2);
  f.poll();
  BOOST_TEST(pulled == 6);

  int pulled1 = 0;
  auto s1 = hs::from_range(f.ex, seq(0, 100)) | hs::map(
                                                                 [&](int x)
                                                                 {
                                                                   ++pulled1;
                                                                   return x;
                                                                 }) |
            hs::buffer(1);
  f.poll();
  BOOST_TEST(pulled1 == 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stream_timed)

BOOST_AUTO_TEST_CASE(throttle_admits_burst_plus_rate_in_every_window)
{
  clock_fixture f;
  std::vector<double> at;
  // 2 per second, burst 3.
  hs::for_each(hs::from_range(f.ex, seq(0, 20)) | hs::throttle(2, 1s, 3),
               [&](int) { at.push_back(f.elapsed()); }, [](std::exception_ptr e) { BOOST_TEST(!e); });
  f.poll();
  BOOST_TEST(at.size() == 3u); // the burst at once
  for (int i = 0; i < 40; ++i)
    f.advance(250ms);
  BOOST_REQUIRE(at.size() == 20u);
  // In any window [at[i], at[j]] at most burst + rate * t items pass...
  for (std::size_t i = 0; i < at.size(); ++i)
    for (std::size_t j = i; j < at.size(); ++j)
      BOOST_TEST(double(j - i + 1) <= 3 + 2 * (at[j] - at[i]) + 1e-9);
  // ...and no slower than that: item k (k >= 3) at exactly (k - 2) / 2 s.
  for (std::size_t k = 3; k < at.size(); ++k)
    BOOST_TEST(at[k] == double(k - 2) / 2);
}

BOOST_AUTO_TEST_CASE(batch_flushes_when_full_after_max_wait_keeps_going_and_flushes_the_rest)
{
  clock_fixture f;
  auto s = hs::generate<int>(f.ex,
                             [](herd::stream_sink<int>& out) -> net::awaitable<void>
                             {
                               for (int i = 1; i <= 3; ++i) // t = 0
                                 co_await out.async_push(i, net::use_awaitable);
                               co_await sleep_for(1500ms); // t = 1.5
                               for (int i = 4; i <= 8; ++i)
                                 co_await out.async_push(i, net::use_awaitable);
                               co_await sleep_for(1500ms); // t = 3.0
                               co_await out.async_push(9, net::use_awaitable);
                               co_await sleep_for(500ms); // t = 3.5: 10 joins the batch 9 opened
                               co_await out.async_push(10, net::use_awaitable);
                               co_await sleep_for(1000ms); // t = 4.5
                               co_await out.async_push(11, net::use_awaitable);
                               co_await sleep_for(200ms); // t = 4.7: the end flushes [11]
                             });
  std::vector<std::pair<std::vector<int>, double>> got;
  hs::for_each(std::move(s) | hs::batch(5, 1s), [&](std::vector<int> b) { got.emplace_back(b, f.elapsed()); },
               [](std::exception_ptr e) { BOOST_TEST(!e); });
  for (int i = 0; i < 60; ++i)
    f.advance(100ms);
  BOOST_REQUIRE(got.size() == 4u);
  BOOST_TEST(got[0].first == (std::vector<int>{1, 2, 3}));
  BOOST_TEST(got[0].second == 1.0); // max_wait after its first item
  BOOST_TEST(got[1].first == (std::vector<int>{4, 5, 6, 7, 8}));
  BOOST_TEST(got[1].second == 1.5); // full
  BOOST_TEST(got[2].first == (std::vector<int>{9, 10}));
  BOOST_TEST(got[2].second == 4.0); // 1 s after 9, not after 10
  BOOST_TEST(got[3].first == (std::vector<int>{11}));
  BOOST_TEST(std::abs(got[3].second - 4.7) < 1e-9); // the rest at the end
}

BOOST_AUTO_TEST_CASE(batch_delivers_the_batch_before_a_failure)
{
  clock_fixture f;
  auto s = hs::generate<int>(f.ex,
                             [](herd::stream_sink<int>& out) -> net::awaitable<void>
                             {
                               co_await out.async_push(1, net::use_awaitable);
                               co_await out.async_push(2, net::use_awaitable);
                               throw test_error(4);
                             }) |
           hs::batch(10);
  puller<std::vector<int>> p(f, s);
  BOOST_TEST(*p.get() == (std::vector<int>{1, 2}));
  BOOST_CHECK_THROW(p.get(), test_error);
  BOOST_TEST(!p.get().has_value());
}

BOOST_AUTO_TEST_CASE(timeout_fails_a_slow_item_and_stops_the_source)
{
  clock_fixture f;
  bool aborted = false;
  auto s = hs::generate<int>(f.ex,
                             [&](herd::stream_sink<int>& out) -> net::awaitable<void>
                             {
                               co_await sleep_for(900ms);
                               co_await out.async_push(1, net::use_awaitable);
                               try
                               {
                                 co_await sleep_for(2s);
                               }
                               catch (const boost::system::system_error&)
                               {
                                 aborted = true;
                                 throw;
                               }
                               co_await out.async_push(2, net::use_awaitable);
                             }) |
           hs::timeout(1s);
  recorder<std::exception_ptr, std::optional<int>> r1(f.ctx);
  s.async_next(r1.handler());
  f.advance(900ms);
  BOOST_REQUIRE(r1.calls() == 1);
  BOOST_TEST(*r1.get<1>() == 1);
  recorder<std::exception_ptr, std::optional<int>> r2(f.ctx);
  s.async_next(r2.handler());
  f.advance(999ms);
  BOOST_TEST(r2.calls() == 0);
  f.advance(1ms);
  BOOST_REQUIRE(r2.calls() == 1);
  BOOST_CHECK_THROW(std::rethrow_exception(r2.get<0>()), herd::timeout_error);
  BOOST_TEST(aborted);
  BOOST_TEST(f.clock.pending() == 0u);
}

BOOST_AUTO_TEST_CASE(map_with_concurrency_keeps_order_and_bounds_the_calls)
{
  for (bool ordered : {true, false})
  {
    clock_fixture f;
    int running = 0, peak = 0;
    // Item i takes (5 - i % 5) seconds: later items finish first.
    auto s = hs::from_range(f.ex, seq(0, 20)) |
             hs::map(
                 [&](int i) -> net::awaitable<int>
                 {
                   peak = std::max(peak, ++running);
                   co_await sleep_for(std::chrono::seconds(5 - i % 5));
                   --running;
                   co_return i;
                 },
                 {.concurrency = 4, .ordered = ordered});
    std::vector<int> got;
    hs::for_each(std::move(s), [&](int x) { got.push_back(x); }, [](std::exception_ptr e) { BOOST_TEST(!e); });
    for (int i = 0; i < 60; ++i)
      f.advance(1s);
    BOOST_TEST(peak == 4);
    BOOST_REQUIRE(got.size() == 20u);
    std::vector<int> sorted = got;
    std::sort(sorted.begin(), sorted.end());
    BOOST_TEST((sorted == got) == ordered);
    std::vector<int> all(20);
    std::iota(all.begin(), all.end(), 0);
    BOOST_TEST(sorted == all);
  }
}

BOOST_AUTO_TEST_CASE(map_with_concurrency_fails_and_stops_the_source)
{
  for (bool ordered : {true, false})
  {
    net::io_context ctx;
    auto log = std::make_shared<producer_log>();
    auto s = endless(ctx.get_executor(), log) | hs::map(
                                                    [](int x)
                                                    {
                                                      if (x == 10)
                                                        throw test_error(10);
                                                      return x;
                                                    },
                                                    {.concurrency = 3, .ordered = ordered});
    std::vector<int> got;
    auto fut = hs::for_each(std::move(s), [&](int x) { got.push_back(x); }, net::use_future);
    ctx.run();
    BOOST_CHECK_THROW(fut.get(), test_error);
    BOOST_TEST(log->exited);
    if (ordered)
    {
      std::vector<int> want(10);
      std::iota(want.begin(), want.end(), 0);
      BOOST_TEST(got == want);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stream_sinks)

BOOST_AUTO_TEST_CASE(reduce_and_for_each_with_an_awaitable_function)
{
  net::io_context ctx;
  auto ex = ctx.get_executor();
  auto total = herd::test::run_on(ctx, hs::reduce(hs::from_range(ex, seq(1, 101)), 0L,
                                   [](long acc, int x) { return acc + x; }, net::use_awaitable));
  BOOST_TEST(total == 5050L);
  std::vector<int> seen;
  herd::test::run_on(ctx, hs::for_each(
               hs::from_range(ex, std::vector{1, 2, 3}),
               [&](int x) -> net::awaitable<void>
               {
                 seen.push_back(x);
                 co_return;
               },
               net::use_awaitable));
  BOOST_TEST(seen == (std::vector<int>{1, 2, 3}));
}

// An f that waits: f(0) sleeps an hour on the manual clock (its state is
// its parameter; the operation keeps f itself alive).
net::awaitable<void> wait_an_hour(int) { co_await herd::test::sleep_for(1h); }

bool is_operation_aborted(const std::exception_ptr& e)
{
  try
  {
    if (e)
      std::rethrow_exception(e);
  }
  catch (const boost::system::system_error& x)
  {
    return x.code() == net::error::operation_aborted;
  }
  catch (...)
  {
  }
  return false;
}

BOOST_AUTO_TEST_CASE(cancelling_an_awaiting_for_each_cancels_f_and_stops_the_stream)
{
  clock_fixture f;
  auto log = std::make_shared<producer_log>();
  net::cancellation_signal sig;
  herd::test::recorder<std::exception_ptr> r(f.ctx);
  hs::for_each(endless(f.ex, log), &wait_an_hour, net::bind_cancellation_slot(sig.slot(), r.handler()));
  f.poll(); // f(0) is waiting
  BOOST_TEST(r.calls() == 0);
  BOOST_TEST(!log->exited);
  sig.emit(net::cancellation_type::partial); // served as terminal
  f.poll();
  BOOST_REQUIRE(r.calls() == 1);
  BOOST_TEST(is_operation_aborted(r.get<0>()));
  BOOST_TEST(log->exited);
  BOOST_TEST(f.ctx.stopped()); // the hour's timer was cancelled: nothing left
}

BOOST_AUTO_TEST_CASE(a_throwing_sink_function_stops_the_stream)
{
  net::io_context ctx;
  auto log = std::make_shared<producer_log>();
  auto fut = hs::reduce(endless(ctx.get_executor(), log), 0,
                        [](int acc, int x)
                        {
                          if (x == 5)
                            throw test_error(5);
                          return acc + x;
                        },
                        net::use_future);
  ctx.run();
  BOOST_CHECK_THROW(fut.get(), test_error);
  BOOST_TEST(log->exited);
}

BOOST_AUTO_TEST_CASE(cancelling_a_sink_stops_the_stream)
{
  clock_fixture f;
  auto log = std::make_shared<producer_log>();
  net::cancellation_signal sig;
  recorder<std::exception_ptr, std::vector<int>> r(f.ctx);
  hs::to_vector(endless(f.ex, log) | hs::throttle(1, 1s), net::bind_cancellation_slot(sig.slot(), r.handler()));
  f.advance(2s);
  BOOST_TEST(r.calls() == 0);
  sig.emit(net::cancellation_type::terminal);
  f.poll();
  BOOST_REQUIRE(r.calls() == 1);
  BOOST_CHECK_THROW(std::rethrow_exception(r.get<0>()), herd::cancelled_error);
  BOOST_TEST(log->exited);
  BOOST_TEST(f.clock.pending() == 0u);
}

BOOST_AUTO_TEST_CASE(blocking_iterates_from_a_plain_thread)
{
  net::thread_pool pool(2);
  auto log = std::make_shared<producer_log>();
  long sum = 0;
  for (int x : herd::blocking(hs::from_range(pool.get_executor(), seq(0, 1000))))
    sum += x;
  BOOST_TEST(sum == 999L * 1000 / 2);
  {
    auto b = herd::blocking(endless(pool.get_executor(), log));
    int n = 0;
    for (int x : b)
    {
      BOOST_TEST(x == n);
      if (++n == 10)
        break;
    }
  } // leaving early stops the producer
  auto bad = hs::generate<int>(pool.get_executor(),
                               [](herd::stream_sink<int>& out) -> net::awaitable<void>
                               {
                                 co_await out.async_push(1, net::use_awaitable);
                                 throw test_error(2);
                               });
  auto b = herd::blocking(std::move(bad));
  auto it = b.begin();
  BOOST_TEST(*it == 1);
  BOOST_CHECK_THROW(++it, test_error);
  pool.join(); // returns: every producer stopped
  BOOST_TEST(log->exited);
}

BOOST_AUTO_TEST_CASE(blocking_on_the_streams_own_thread_is_refused)
{
  net::io_context ctx;
  bool refused = false;
  net::post(ctx,
            [&]
            {
              try
              {
                for (int x : herd::blocking(hs::from_range(ctx.get_executor(), std::vector{1})))
                  (void)x;
              }
              catch (const std::logic_error&)
              {
                refused = true;
              }
            });
  ctx.run();
  BOOST_TEST(refused);
}

BOOST_AUTO_TEST_SUITE_END()

// Boost 1.81's channel defects (DESIGN.md, "Platform"); each test fails on a
// stream built the naive way.
BOOST_AUTO_TEST_SUITE(stream_channel_defects)

// asio #1236: close() drops buffered messages. herd ends with a message.
BOOST_AUTO_TEST_CASE(ending_with_buffered_items_loses_none)
{
  clock_fixture f;
  auto s = hs::generate<int>(
      f.ex,
      [](herd::stream_sink<int>& out) -> net::awaitable<void>
      {
        for (int i = 0; i < 10; ++i)
          co_await out.async_push(i, net::use_awaitable);
        throw test_error(1);
      },
      16);
  f.poll(); // the producer pushed everything and failed before anyone read
  puller<int> p(f, s);
  for (int i = 0; i < 10; ++i)
    BOOST_TEST(*p.get() == i);
  BOOST_CHECK_THROW(p.get(), test_error);

  auto s2 = hs::from_range(f.ex, std::vector{1, 2, 3}, 16);
  f.poll();
  auto v = herd::test::run_on(f.ctx, hs::to_vector(std::move(s2), net::use_awaitable));
  BOOST_TEST(v == (std::vector<int>{1, 2, 3}));
}

// asio #1241: a cancelled receive leaves a buffered channel unbuffered. A
// batch time-out flush keeps its receive instead of cancelling it, so the
// producer can still fill the buffer while nobody reads.
BOOST_AUTO_TEST_CASE(a_timed_out_batch_keeps_the_channel_buffered_and_loses_nothing)
{
  clock_fixture f;
  int pushed = 0;
  auto s = hs::generate<int>(
               f.ex,
               [&](herd::stream_sink<int>& out) -> net::awaitable<void>
               {
                 co_await out.async_push(0, net::use_awaitable);
                 ++pushed;
                 co_await sleep_for(2s);
                 for (int i = 1; i <= 5; ++i)
                 {
                   co_await out.async_push(i, net::use_awaitable);
                   ++pushed;
                 }
               },
               4) |
           hs::batch(100, 1s);
  puller<std::vector<int>> p(f, s);
  auto r = p.next();
  f.advance(1s);
  BOOST_REQUIRE(r.calls() == 1);
  BOOST_TEST(*r.get<1>() == (std::vector<int>{0})); // the time-out flush
  f.advance(1s);                                    // nobody reads now
  BOOST_TEST(pushed == 6); // one taken by the pending receive, four buffered: none waits
  BOOST_TEST(*p.get() == (std::vector<int>{1, 2, 3, 4, 5}));
  BOOST_TEST(!p.get().has_value());
}

// asio #1318: close() does not complete pending sends. Stopping a stream
// completes a producer's waiting push, in the body or outside it.
BOOST_AUTO_TEST_CASE(stopping_completes_a_waiting_push)
{
  clock_fixture f;
  std::optional<herd::stream_sink<int>> outside;
  ec_t outside_ec;
  bool body_done = false;
  auto s = hs::generate<int>(
      f.ex,
      [&](herd::stream_sink<int>& out) -> net::awaitable<void>
      {
        outside.emplace(out);
        co_await out.async_push(1, net::use_awaitable); // fills the channel
        try
        {
          co_await out.async_push(2, net::use_awaitable); // waits
        }
        catch (const boost::system::system_error& e)
        {
          body_done = e.code() == herd::errc::stream_closed;
        }
      },
      1);
  f.poll();
  BOOST_REQUIRE(outside);
  outside->async_push(3, [&](ec_t ec) { outside_ec = ec; }); // waits too
  f.poll();
  BOOST_TEST(!body_done);
  s.stop();
  f.poll();
  BOOST_TEST(body_done);
  BOOST_TEST(outside_ec == herd::errc::stream_closed);
  ec_t late;
  outside->async_push(4, [&](ec_t ec) { late = ec; });
  outside.reset();
  f.poll();
  BOOST_TEST(late == herd::errc::stream_closed);
  BOOST_TEST(f.ctx.stopped());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(stream_stress)

// 1,000,000 items from 4 producers merged, through map | filter | batch on 4
// threads: every item exactly once (count and sum).
BOOST_AUTO_TEST_CASE(a_million_items_through_merge_map_filter_batch)
{
  constexpr long per = 250'000;
  net::thread_pool pool(4);
  auto ex = pool.get_executor();
  std::vector<herd::stream<long>> producers;
  for (long k = 0; k < 4; ++k)
    producers.push_back(hs::generate<long>(ex,
                                           [k](herd::stream_sink<long>& out) -> net::awaitable<void>
                                           {
                                             for (long i = k * per; i < (k + 1) * per; ++i)
                                               co_await out.async_push(i, net::use_awaitable);
                                           }));
  auto s = hs::merge(std::move(producers)) | hs::map([](long x) { return 2 * x; }) |
           hs::filter([](long x) { return x % 4 != 2; }) | hs::batch(1000, 10ms);
  struct totals
  {
    long count = 0, sum = 0, batches = 0;
  };
  auto t = hs::reduce(std::move(s), totals{},
                      [](totals t, std::vector<long> b)
                      {
                        t.count += static_cast<long>(b.size());
                        t.sum += std::accumulate(b.begin(), b.end(), 0L);
                        ++t.batches;
                        return t;
                      },
                      net::use_future)
               .get();
  pool.join();
  // Kept: the even x, as 2x.
  constexpr long n = 4 * per;
  BOOST_TEST(t.count == n / 2);
  BOOST_TEST(t.sum == 2 * (2 * (n / 2 - 1) * (n / 2) / 2));
  BOOST_TEST(t.batches >= n / 2 / 1000);
}

BOOST_AUTO_TEST_SUITE_END()
