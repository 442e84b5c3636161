// Example: retries, timeouts, fallbacks and a circuit breaker around a
// flaky dependency, then the same retry schedule tested in virtual time on
// herd::testing::manual_clock (30 s of backoff in microseconds).
//
// herd's composed operations run their steps (and their timers) on the
// executor associated with the completion handler, like parallel_group:
// bind callbacks to your io_context with net::bind_executor, or use
// net::use_awaitable in a coroutine.

#include <herd/herd.hpp>
#include <herd/testing/manual_clock.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace net = boost::asio;
using namespace std::chrono_literals;
using error_code = boost::system::error_code;

// A dependency that fails its first `failures` calls.
struct flaky_service
{
  net::any_io_executor ex;
  int failures;
  int calls = 0;
  auto async_get(int key)
  {
    const bool fail = ++calls <= failures;
    return net::post(ex, net::deferred(
                             [fail, key]
                             {
                               return net::deferred.values(fail ? error_code(net::error::connection_refused) : error_code(),
                                                           key * 10);
                             }));
  }
};

int main()
{
  int status = 0;

  // 1. async_retry around any Asio operation, real time.
  {
    net::io_context ctx;
    flaky_service svc{ctx.get_executor(), 2};
    herd::async_retry(herd::retry_policy::exponential(4, 5ms), [&] { return svc.async_get(7); },
                      net::bind_executor(ctx,
                                         [&](error_code ec, int v)
                                         {
                                           std::printf("async_retry: %s, value %d after %d calls\n",
                                                       ec ? ec.message().c_str() : "ok", v, svc.calls);
                                           status |= ec ? 1 : 0;
                                         }));
    ctx.run();
  }

  // 2. Executor tasks with retry (only for the errors worth retrying) and a per-attempt timeout.
  {
    herd::async_executor ex(2);
    std::atomic<int> attempts{0};
    auto f = ex.submit(herd::submit_options{.retry = {.max_attempts = 5,
                                                      .backoff = herd::backoff_kind::fibonacci,
                                                      .initial = 1ms,
                                                      .jitter = 0.2,
                                                      .retry_if = herd::retry_on<std::runtime_error>()},
                                            .timeout = 1s},
                       [&]
                       {
                         if (++attempts < 3)
                           throw std::runtime_error("transient");
                         return std::string("report");
                       });
    const std::string report = f.get();
    std::printf("submit with retry: %s after %d attempts\n", report.c_str(), attempts.load());
  }

  // 3. with_timeout cancels a slow operation; with_fallback substitutes a value.
  {
    net::io_context ctx;
    net::steady_timer slow(ctx, 1h);
    herd::with_timeout(10ms, slow.async_wait(net::deferred),
                       net::bind_executor(ctx, [](error_code ec) { std::printf("with_timeout: %s\n", ec.message().c_str()); }));
    flaky_service svc{ctx.get_executor(), 1};
    herd::with_fallback(svc.async_get(1), -1,
                        net::bind_executor(ctx, [](error_code ec, int v)
                                           { std::printf("with_fallback: %s, value %d\n", ec ? "error" : "ok", v); }));
    ctx.run();
  }

  // 4. A circuit breaker: after 3 consecutive failures it fails fast without calling.
  {
    net::io_context ctx;
    flaky_service svc{ctx.get_executor(), 100};
    herd::circuit_breaker breaker(ctx.get_executor(), {.failure_threshold = 3, .reset_timeout = 30s});
    net::co_spawn(
        ctx,
        [&]() -> net::awaitable<void>
        {
          std::printf("circuit_breaker:");
          for (int i = 0; i < 5; ++i)
          {
            auto [ec, v] = co_await breaker.async_call([&] { return svc.async_get(i); },
                                                       net::as_tuple(net::use_awaitable));
            std::printf(" %s", ec == herd::errc::circuit_open ? "open" : ec ? "failed" : "ok");
          }
          std::printf(" (service called %d times)\n", svc.calls);
          status |= svc.calls == 3 ? 0 : 1;
        },
        net::detached);
    ctx.run();
  }

  // 5. The same kind of schedule in virtual time: 5 attempts, exponential from 2 s.
  {
    net::io_context ctx;
    herd::testing::manual_clock clock;
    herd::use_clock(ctx, clock);
    flaky_service svc{ctx.get_executor(), 4};
    const auto t0 = clock.now();
    std::vector<double> attempt_at;
    bool done = false;
    herd::async_retry(herd::retry_policy::exponential(5, 2s),
                      [&]
                      {
                        attempt_at.push_back(std::chrono::duration<double>(clock.now() - t0).count());
                        return svc.async_get(1);
                      },
                      net::bind_executor(ctx, [&](error_code ec, int) { done = !ec; }));
    const auto wall0 = std::chrono::steady_clock::now();
    clock.advance(60s, [&] {
      ctx.restart();
      ctx.poll();
    });
    const double wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall0).count();
    std::printf("manual_clock: attempts at");
    for (double a : attempt_at)
      std::printf(" %gs", a);
    std::printf(" -> %s in %.3f ms of wall time\n", done ? "success" : "failure", wall_ms);
    status |= done ? 0 : 1;
  }
  return status;
}
