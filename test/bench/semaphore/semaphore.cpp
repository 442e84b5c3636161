// Scenario "semaphore": herd::semaphore against a raw Asio
// concurrent_channel used as a semaphore (a buffered send takes a permit, a
// receive gives it back), in the same run.
//  - uncontended: one thread, acquire+release in a loop, both the try_ forms
//    and the asynchronous forms awaited in a coroutine;
//  - contended: one permit, C coroutines (each on its own strand of a pool
//    with all threads) each looping acquire / yield / release.
#include "../bench.hpp"

#include <herd/herd.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <atomic>
#include <stdexcept>
#include <string>

namespace herd::bench {
namespace {

namespace net = boost::asio;
using channel = net::experimental::concurrent_channel<void(boost::system::error_code)>;

template <class Body>
void run_coroutine_on(net::io_context& ctx, Body body)
{
  net::co_spawn(ctx, body(), net::detached);
  ctx.restart();
  ctx.run();
}

std::vector<result> run_semaphore(const options& o)
{
  std::vector<result> out;
  const std::size_t n = std::max<std::size_t>(1000, static_cast<std::size_t>(1'000'000 * o.scale));
  const std::string param = "N=" + std::to_string(n);

  // Uncontended, try_ forms.
  {
    net::io_context ctx;
    herd::semaphore sem(ctx.get_executor(), 1);
    channel ch(ctx, 1);
    auto herd_try = [&]
    {
      for (std::size_t i = 0; i < n; ++i)
      {
        if (!sem.try_acquire())
          throw std::runtime_error("semaphore: try_acquire failed uncontended");
        sem.release();
      }
    };
    auto raw_try = [&]
    {
      for (std::size_t i = 0; i < n; ++i)
      {
        if (!ch.try_send(boost::system::error_code()))
          throw std::runtime_error("semaphore: try_send failed uncontended");
        ch.try_receive([](boost::system::error_code) {});
      }
    };
    const auto ns = interleaved_median_ns(o.repeat, {herd_try, raw_try});
    out.push_back({"herd try_acquire+release", "uncontended " + param, ns[0] / n});
    out.push_back({"raw channel try_send+try_receive", "uncontended " + param, ns[1] / n});
  }

  // Uncontended, asynchronous forms in a coroutine.
  {
    const std::size_t m = std::max<std::size_t>(1000, n / 4);
    net::io_context ctx;
    herd::semaphore sem(ctx.get_executor(), 1);
    channel ch(ctx, 1);
    auto herd_async = [&]
    {
      run_coroutine_on(ctx,
                       [&]() -> net::awaitable<void>
                       {
                         for (std::size_t i = 0; i < m; ++i)
                         {
                           co_await sem.async_acquire(net::use_awaitable);
                           sem.release();
                         }
                       });
    };
    auto raw_async = [&]
    {
      run_coroutine_on(ctx,
                       [&]() -> net::awaitable<void>
                       {
                         for (std::size_t i = 0; i < m; ++i)
                         {
                           co_await ch.async_send(boost::system::error_code(), net::use_awaitable);
                           ch.try_receive([](boost::system::error_code) {});
                         }
                       });
    };
    const auto ns = interleaved_median_ns(o.repeat, {herd_async, raw_async});
    const std::string p = "uncontended N=" + std::to_string(m);
    out.push_back({"herd co_await async_acquire+release", p, ns[0] / m});
    out.push_back({"raw co_await channel async_send+try_receive", p, ns[1] / m});
  }

  // Contended: one permit, C coroutines on all threads.
  for (std::size_t c : {2, 64, 1024})
  {
    const std::size_t per = std::max<std::size_t>(10, static_cast<std::size_t>(200'000 * o.scale) / c);
    const std::size_t total = per * c;
    auto contended = [&](auto acquire, auto release)
    {
      net::thread_pool pool(o.threads);
      std::atomic<std::size_t> done{0};
      for (std::size_t k = 0; k < c; ++k)
        net::co_spawn(net::make_strand(pool),
                      [&]() -> net::awaitable<void>
                      {
                        for (std::size_t i = 0; i < per; ++i)
                        {
                          co_await acquire();
                          co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
                          release();
                        }
                        done += per;
                      },
                      net::detached);
      pool.join();
      if (done.load() != total)
        throw std::runtime_error("semaphore: contended loop lost iterations");
    };
    auto herd_contended = [&]
    {
      net::thread_pool holder(1);
      herd::semaphore sem(holder.get_executor(), 1);
      contended([&] { return sem.async_acquire(net::use_awaitable); }, [&] { sem.release(); });
    };
    auto raw_contended = [&]
    {
      net::thread_pool holder(1);
      channel ch(holder.get_executor(), 1);
      contended([&] { return ch.async_send(boost::system::error_code(), net::use_awaitable); },
                [&] { ch.try_receive([](boost::system::error_code) {}); });
    };
    const auto ns = interleaved_median_ns(o.repeat, {herd_contended, raw_contended});
    const std::string p = "contended C=" + std::to_string(c) + " ops=" + std::to_string(total);
    out.push_back({"herd semaphore, 1 permit", p, ns[0] / total});
    out.push_back({"raw concurrent_channel as semaphore", p, ns[1] / total});
  }
  return out;
}

const registrar reg("semaphore", "acquire+release, uncontended and contended (ns/op)", run_semaphore);

} // namespace
} // namespace herd::bench
