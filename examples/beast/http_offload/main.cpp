// Example: herd inside a Boost.Beast HTTP service. CPU-heavy request work is
// offloaded to a herd::async_executor through a completion token
// (net::use_awaitable), bounded by a herd::capacity_limiter (503 beyond a
// queue bound); a slower local backend is called through herd::async_retry
// inside a herd::circuit_breaker (503 with a clear body while it is open);
// SIGINT shuts the service down gracefully, answering every request it has
// read. The service itself is in service.hpp (test/acceptance drives it too).
//
//   http_offload            a self-contained demo: starts the service and a
//                           backend on ephemeral ports, sends requests,
//                           breaks the backend, then raises SIGINT; exits 0
//   http_offload --serve [--port P] [--io-threads N] [--work-threads N]
//                [--max-in-flight N] [--queue-bound N] [--backend-delay-ms D]
//                           serves until SIGINT (for curl or wrk)

#include "client.hpp"
#include "service.hpp"

#include <boost/asio/io_context.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace net = boost::asio;
using namespace std::chrono_literals;

namespace
{

std::size_t number_arg(int& i, int argc, char** argv)
{
  if (i + 1 >= argc)
    throw std::invalid_argument(std::string(argv[i]) + " needs a number");
  const auto v = http_offload::to_u64(std::string_view(argv[++i]));
  if (!v)
    throw std::invalid_argument(std::string(argv[i - 1]) + ": not a number: " + argv[i]);
  return static_cast<std::size_t>(*v);
}

int serve(int argc, char** argv)
{
  http_offload::options o;
  std::chrono::milliseconds delay = 2ms;
  for (int i = 2; i < argc; ++i)
  {
    const std::string a = argv[i];
    if (a == "--port")
      o.port = static_cast<unsigned short>(number_arg(i, argc, argv));
    else if (a == "--io-threads")
      o.io_threads = number_arg(i, argc, argv);
    else if (a == "--work-threads")
      o.work_threads = number_arg(i, argc, argv);
    else if (a == "--max-in-flight")
      o.max_in_flight = number_arg(i, argc, argv);
    else if (a == "--queue-bound")
      o.queue_bound = number_arg(i, argc, argv);
    else if (a == "--backend-delay-ms")
      delay = std::chrono::milliseconds(number_arg(i, argc, argv));
    else
      throw std::invalid_argument("unknown argument: " + a);
  }
  http_offload::backend backend(delay);
  o.backend = backend.endpoint();
  o.handle_signals = true;
  http_offload::service svc(o);
  std::printf("http_offload: listening on http://127.0.0.1:%u (io threads %zu, work threads %zu, max in flight %zu, "
              "queue bound %zu); Ctrl-C stops it gracefully\n",
              svc.port(), o.io_threads, o.work_threads, o.max_in_flight, o.queue_bound);
  std::fflush(stdout);
  svc.wait();
  std::printf("http_offload: stopped after %zu requests, %zu answered\n", svc.stats().requests.load(),
              svc.stats().answered.load());
  return 0;
}

int demo()
{
  int failures = 0;
  auto check = [&](bool ok, const std::string& what)
  {
    std::printf("  [%s] %s\n", ok ? "ok" : "FAILED", what.c_str());
    failures += ok ? 0 : 1;
  };

  http_offload::backend backend(5ms);
  http_offload::options o;
  o.backend = backend.endpoint();
  o.max_in_flight = 2;
  o.queue_bound = 8;
  o.backend_retry = herd::retry_policy::exponential(3, 5ms);
  o.breaker = {.failure_threshold = 3, .reset_timeout = 10s, .half_open_successes = 1};
  o.handle_signals = true;
  http_offload::service svc(o);
  const net::ip::tcp::endpoint ep(net::ip::make_address("127.0.0.1"), svc.port());
  std::printf("service on 127.0.0.1:%u, backend on %s:%u\n", svc.port(), o.backend.address().to_string().c_str(),
              o.backend.port());

  net::io_context client_ctx;
  auto run = [&](auto make_coro)
  {
    net::co_spawn(client_ctx, make_coro(), net::detached);
    client_ctx.restart();
    client_ctx.run();
  };

  std::printf("1. 8 connections ask for CPU-heavy work at once (2 run, the rest queue on the limiter):\n");
  {
    std::vector<http_offload::reply_seen> got(8);
    for (std::size_t i = 0; i < got.size(); ++i)
      net::co_spawn(
          client_ctx,
          [&, i]() -> net::awaitable<void>
          {
            http_offload::client c(client_ctx.get_executor());
            co_await c.connect(ep);
            const std::string target = "/compute?n=2000000&seed=" + std::to_string(i);
            got[i] = co_await c.get(target);
          },
          net::detached);
    client_ctx.run();
    bool all = true;
    for (std::size_t i = 0; i < got.size(); ++i)
      all = all && got[i].status == 200 && got[i].body == std::to_string(http_offload::crunch(i, 2000000)) + "\n";
    check(all, "8 x 200 with the right values, " + std::to_string(svc.stats().offloaded.load()) +
                   " run on the herd executor");
  }

  std::printf("2. 24 at once against 2 slots and a queue bound of 8: the excess is refused at once:\n");
  {
    std::size_t ok = 0, refused = 0;
    std::string sample;
    for (std::size_t i = 0; i < 24; ++i)
      net::co_spawn(
          client_ctx,
          [&]() -> net::awaitable<void>
          {
            http_offload::client c(client_ctx.get_executor());
            co_await c.connect(ep);
            const std::string target = "/compute?n=20000000";
            auto r = co_await c.get(target);
            if (r.status == 200)
              ++ok;
            else if (r.status == 503)
            {
              ++refused;
              sample = r.body;
            }
          },
          net::detached);
    client_ctx.restart();
    client_ctx.run();
    check(ok + refused == 24 && ok >= 10,
          std::to_string(ok) + " answered 200, " + std::to_string(refused) + " got 503");
    if (!sample.empty())
      std::printf("     503 body: %s", sample.c_str());
  }

  std::printf("3. the backend through async_retry + circuit_breaker:\n");
  run(
      [&]() -> net::awaitable<void>
      {
        http_offload::client c(client_ctx.get_executor());
        co_await c.connect(ep);
        const std::string key42 = "/backend?key=42";
        auto r = co_await c.get(key42);
        check(r.status == 200 && r.body == "backend: item 42\n",
              "healthy backend: " + std::to_string(r.status) + " " + r.body.substr(0, r.body.size() - 1));
        backend.fail(true);
        for (int i = 0; i < 3; ++i)
        {
          r = co_await c.get(key42);
          std::printf("     failing backend, request %d: %u %s", i + 1, r.status, r.body.c_str());
        }
        const std::size_t calls = backend.requests();
        r = co_await c.get(key42);
        check(r.status == 503 && backend.requests() == calls,
              "breaker open: 503 without calling the backend: " + r.body.substr(0, r.body.size() - 1));
        backend.fail(false);
      });

  std::printf("4. SIGINT while a request waits for a slot: it is still answered:\n");
  run(
      [&]() -> net::awaitable<void>
      {
        // Hold both slots, so that the request is certainly in the service
        // (queued on the limiter) when the signal arrives.
        herd::capacity_limiter& limiter = svc.limiter();
        const bool held = limiter.try_acquire() && limiter.try_acquire();
        http_offload::client c(client_ctx.get_executor());
        co_await c.connect(ep);
        net::co_spawn(
            client_ctx,
            [&]() -> net::awaitable<void>
            {
              net::steady_timer t(client_ctx);
              while (limiter.waiting() == 0)
              {
                t.expires_after(1ms);
                co_await t.async_wait(net::use_awaitable);
              }
              std::printf("     request queued; raising SIGINT, then freeing the slots\n");
              std::raise(SIGINT);
              t.expires_after(20ms);
              co_await t.async_wait(net::use_awaitable);
              limiter.release(2);
            },
            net::detached);
        const std::string target = "/compute?n=1000000";
        auto r = co_await c.get(target);
        check(held && r.status == 200 && r.body == std::to_string(http_offload::crunch(1, 1000000)) + "\n" &&
                  !r.keep_alive,
              "answered " + std::to_string(r.status) + " with the right value and Connection: close");
      });
  svc.wait();
  std::printf("stopped: %zu requests read, %zu answered\n", svc.stats().requests.load(), svc.stats().answered.load());
  check(svc.stats().requests.load() == svc.stats().answered.load(), "no accepted request lost");
  return failures == 0 ? 0 : 1;
}

} // namespace

int main(int argc, char** argv)
{
  try
  {
    if (argc > 1 && std::strcmp(argv[1], "--serve") == 0)
      return serve(argc, argv);
    if (argc > 1)
      throw std::invalid_argument(std::string("unknown argument: ") + argv[1] + " (try --serve)");
    return demo();
  }
  catch (const std::exception& e)
  {
    std::fprintf(stderr, "http_offload: %s\n", e.what());
    return 2;
  }
}
