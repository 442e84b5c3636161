// Scenarios "channel" and "pipeline": herd streams against raw Asio
// concurrent_channels, in the same run.
//  - channel: N values (10,000,000 at scale 1) through one stream of capacity
//    1024, a producer coroutine pushing and a consumer coroutine pulling
//    (herd::streams::generate + async_next, against async_send +
//    async_receive on a concurrent_channel); then P = C = threads / 2 such
//    producer/consumer pairs at once (P streams, against P channels). The
//    consumers' sums are checked.
//  - pipeline: from_range | map | filter | batch(100) | to_vector over
//    1,000,000 items, against the same stages as coroutines joined by raw
//    channels (capacity 64, herd's default), and against one raw channel hop.
#include "../bench.hpp"

#include <herd/stream.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <atomic>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <string>

namespace herd::bench {
namespace {

namespace net = boost::asio;
namespace hs = herd::streams;
using ec_t = boost::system::error_code;
using channel = net::experimental::concurrent_channel<void(ec_t, long)>;

// `pairs` producer/consumer pairs, each moving n values; returns the total
// sum. fast: async_push / async_next with use_awaitable (which are push() and
// next(): no post when the channel has room / an item); else the same with
// as_tuple(use_awaitable), which takes the generic path of any other token
// (one operation per wait, a post per completion).
long herd_pairs(std::size_t threads, std::size_t pairs, long n, std::size_t capacity, bool fast)
{
  net::thread_pool pool(threads);
  std::atomic<long> total{0};
  for (std::size_t p = 0; p < pairs; ++p)
  {
    auto s = hs::generate<long>(
        pool.get_executor(),
        [n, fast](herd::stream_sink<long>& out) -> net::awaitable<void>
        {
          for (long i = 0; i < n; ++i)
            if (fast)
              co_await out.async_push(i, net::use_awaitable);
            else
              co_await out.async_push(i, net::as_tuple(net::use_awaitable));
        },
        capacity);
    net::co_spawn(
        pool,
        [](herd::stream<long> s, std::atomic<long>& total, bool fast) -> net::awaitable<void>
        {
          long sum = 0;
          for (;;)
          {
            std::optional<long> v;
            if (fast)
              v = co_await s.async_next(net::use_awaitable);
            else
              v = std::get<1>(co_await s.async_next(net::as_tuple(net::use_awaitable)));
            if (!v)
              break;
            sum += *v;
          }
          total += sum;
        }(std::move(s), total, fast),
        net::detached);
  }
  pool.join();
  return total.load();
}

long raw_pairs(std::size_t threads, std::size_t pairs, long n, std::size_t capacity)
{
  net::thread_pool pool(threads);
  std::atomic<long> total{0};
  std::vector<std::unique_ptr<channel>> chans;
  for (std::size_t p = 0; p < pairs; ++p)
  {
    chans.push_back(std::make_unique<channel>(pool, capacity));
    channel& ch = *chans.back();
    net::co_spawn(
        pool,
        [&ch, n]() -> net::awaitable<void>
        {
          for (long i = 0; i < n; ++i)
            co_await ch.async_send(ec_t(), i, net::use_awaitable);
        },
        net::detached);
    net::co_spawn(
        pool,
        [&ch, n, &total]() -> net::awaitable<void>
        {
          long sum = 0;
          for (long i = 0; i < n; ++i)
            sum += co_await ch.async_receive(net::use_awaitable);
          total += sum;
        },
        net::detached);
  }
  pool.join();
  return total.load();
}

std::vector<result> run_channel(const options& o)
{
  std::vector<result> out;
  const long n = std::max<long>(10'000, static_cast<long>(10'000'000 * o.scale));
  const std::size_t capacity = 1024;
  std::vector<std::size_t> configs{1};
  if (o.threads / 2 > 1)
    configs.push_back(o.threads / 2);
  for (std::size_t pairs : configs)
  {
    const long per = n / static_cast<long>(pairs);
    const long want = static_cast<long>(pairs) * (per - 1) * per / 2;
    auto check = [&](long got, const char* who)
    {
      if (got != want)
        throw std::runtime_error(std::string("channel: ") + who + " lost or duplicated values");
    };
    const auto ns = interleaved_median_ns(
        o.repeat, {[&] { check(herd_pairs(o.threads, pairs, per, capacity, true), "herd"); },
                   [&] { check(herd_pairs(o.threads, pairs, per, capacity, false), "herd"); },
                   [&] { check(raw_pairs(o.threads, pairs, per, capacity), "raw"); }});
    const std::string p = "N=" + std::to_string(per * static_cast<long>(pairs)) + " cap=1024 producers=consumers=" +
                          std::to_string(pairs) + " threads=" + std::to_string(o.threads);
    const double total = static_cast<double>(per * static_cast<long>(pairs));
    out.push_back({"herd stream (async_push + async_next, use_awaitable)", p, ns[0] / total});
    out.push_back({"herd stream (the same, as_tuple(use_awaitable): any other token)", p, ns[1] / total});
    out.push_back({"raw concurrent_channel (async_send + async_receive)", p, ns[2] / total});
  }
  return out;
}

// A raw middle stage: what fn keeps goes on; -1 goes on and ends the stage.
template <class Fn>
net::awaitable<void> raw_stage(channel& in, channel& out, Fn fn)
{
  for (;;)
  {
    long x = co_await in.async_receive(net::use_awaitable);
    std::optional<long> y = x < 0 ? std::optional<long>(x) : fn(x);
    if (y)
      co_await out.async_send(ec_t(), *y, net::use_awaitable);
    if (x < 0)
      co_return;
  }
}

// The pipeline's expected output: x -> 2x, keep 2x % 3 != 0, in batches of 100.
std::size_t expected_kept(long n)
{
  std::size_t k = 0;
  for (long x = 0; x < n; ++x)
    k += (2 * x) % 3 != 0;
  return k;
}

std::vector<result> run_pipeline(const options& o)
{
  std::vector<result> out;
  const long n = std::max<long>(10'000, static_cast<long>(1'000'000 * o.scale));
  const std::size_t kept = expected_kept(n);
  auto check = [&](const std::vector<std::vector<long>>& v, const char* who)
  {
    std::size_t items = 0;
    for (auto& b : v)
      items += b.size();
    if (items != kept || v.size() != (kept + 99) / 100)
      throw std::runtime_error(std::string("pipeline: ") + who + " produced the wrong output");
  };

  auto herd_pipeline = [&]
  {
    net::thread_pool pool(o.threads);
    auto v = hs::to_vector(hs::from_range(pool.get_executor(), std::views::iota(0L, n)) |
                               hs::map([](long x) { return 2 * x; }) | hs::filter([](long x) { return x % 3 != 0; }) |
                               hs::batch(100),
                           net::use_future)
                 .get();
    pool.join();
    check(v, "herd");
  };

  // The same stages as coroutines joined by raw channels; -1 ends the stream.
  auto raw_pipeline = [&]
  {
    net::thread_pool pool(o.threads);
    channel c1(pool, 64), c2(pool, 64), c3(pool, 64);
    std::vector<std::vector<long>> v;
    net::co_spawn(
        pool,
        [&]() -> net::awaitable<void>
        {
          for (long x = 0; x < n; ++x)
            co_await c1.async_send(ec_t(), x, net::use_awaitable);
          co_await c1.async_send(ec_t(), -1, net::use_awaitable);
        },
        net::detached);
    net::co_spawn(pool, raw_stage(c1, c2, [](long x) { return std::optional<long>(2 * x); }), net::detached);
    net::co_spawn(pool, raw_stage(c2, c3, [](long x) { return x % 3 != 0 ? std::optional<long>(x) : std::nullopt; }),
                  net::detached);
    net::co_spawn(
        pool,
        [&]() -> net::awaitable<void>
        {
          std::vector<long> cur;
          for (;;)
          {
            long x = co_await c3.async_receive(net::use_awaitable);
            if (x < 0)
              break;
            cur.push_back(x);
            if (cur.size() == 100)
              v.push_back(std::exchange(cur, {}));
          }
          if (!cur.empty())
            v.push_back(std::move(cur));
        },
        net::detached);
    pool.join();
    check(v, "raw");
  };

  // One raw channel hop per item: the unit a stream stage is compared with.
  auto raw_hop = [&]
  {
    long sum = raw_pairs(o.threads, 1, n, 64);
    if (sum != (n - 1) * n / 2)
      throw std::runtime_error("pipeline: raw hop lost values");
  };

  const auto ns = interleaved_median_ns(o.repeat, {herd_pipeline, raw_pipeline, raw_hop});
  const std::string p = "N=" + std::to_string(n) + " threads=" + std::to_string(o.threads);
  out.push_back({"herd from_range|map|filter|batch|to_vector", p, ns[0] / static_cast<double>(n)});
  out.push_back({"raw 4 coroutine stages on 3 channels (cap 64)", p, ns[1] / static_cast<double>(n)});
  out.push_back({"raw one channel hop (cap 64)", p, ns[2] / static_cast<double>(n)});
  return out;
}

const registrar reg_channel("channel", "values through one stream vs a raw concurrent_channel (ns/value)", run_channel);
const registrar reg_pipeline("pipeline", "from_range|map|filter|batch|to_vector vs raw channel stages (ns/item)",
                             run_pipeline);

} // namespace
} // namespace herd::bench
