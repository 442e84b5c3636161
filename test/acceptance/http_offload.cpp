// Acceptance tests of examples/beast/http_offload: the service on 127.0.0.1
// with an ephemeral port, driven by a Beast client over loopback. Bounded in
// count (at most 1,000 requests) and in time (a Boost.Test timeout on each
// case, and ctest's). Timed behaviour (the breaker's reset timeout) runs on a
// herd::testing::manual_clock; waiting for a state of the service (a request
// queued on the limiter) polls that state, never a wall-clock threshold.
#define BOOST_TEST_MODULE herd_acceptance
#include <boost/test/unit_test.hpp>

#include "client.hpp"
#include "service.hpp"

#include <herd/testing/manual_clock.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <csignal>
#include <string>
#include <vector>

namespace
{

namespace net = boost::asio;
using namespace std::chrono_literals;
using http_offload::client;
using http_offload::reply_seen;

net::ip::tcp::endpoint endpoint_of(const http_offload::service& svc)
{
  return {net::ip::make_address("127.0.0.1"), svc.port()};
}

// Runs coroutines on a client io_context until they all finish; rethrows the
// first exception.
struct client_runner
{
  net::io_context ctx;
  std::exception_ptr error;

  template <class F>
  void spawn(F f)
  {
    net::co_spawn(ctx, std::move(f),
                  [this](std::exception_ptr e)
                  {
                    if (e && !error)
                      error = e;
                  });
  }

  // Spawns body(c) for a client c connected to ep.
  template <class Body>
  void spawn_client(net::ip::tcp::endpoint ep, Body body)
  {
    spawn(
        [this, ep, body = std::move(body)]() mutable -> net::awaitable<void>
        {
          client c(ctx.get_executor());
          const auto ec = co_await c.connect(ep);
          BOOST_REQUIRE_MESSAGE(!ec, "connect: " << ec.message());
          co_await body(c);
        });
  }

  void run()
  {
    ctx.restart();
    ctx.run();
    if (error)
      std::rethrow_exception(std::exchange(error, nullptr));
  }

  // Polls (every millisecond of real time) until pred() holds.
  template <class Pred>
  net::awaitable<void> until(Pred pred)
  {
    net::steady_timer t(ctx);
    while (!pred())
    {
      t.expires_after(1ms);
      co_await t.async_wait(net::use_awaitable);
    }
  }
};

std::string expected_crunch(std::uint64_t seed, std::uint64_t n)
{
  return std::to_string(http_offload::crunch(seed, n)) + "\n";
}

// Options for a service with two /compute slots, both taken by the test (the
// service counts them as running), so that requests queue until it releases
// them.
http_offload::options two_held_slots(const http_offload::backend& b, std::size_t queue_bound)
{
  http_offload::options o;
  o.backend = b.endpoint();
  o.max_in_flight = 2;
  o.queue_bound = queue_bound;
  return o;
}

void hold_both_slots(http_offload::service& svc)
{
  BOOST_REQUIRE(svc.limiter().try_acquire());
  BOOST_REQUIRE(svc.limiter().try_acquire());
}

} // namespace

BOOST_AUTO_TEST_SUITE(http_offload_service)

BOOST_AUTO_TEST_CASE(a_thousand_requests_at_64_connections_all_answered_correctly, *boost::unit_test::timeout(120))
{
  http_offload::backend backend(1ms);
  http_offload::options o;
  o.backend = backend.endpoint();
  o.io_threads = 2;
  o.work_threads = 2;
  o.max_in_flight = 4;
  o.queue_bound = 64; // 64 connections can never exceed it: no 503 expected
  http_offload::service svc(o);

  constexpr std::size_t requests = 1000, connections = 64;
  struct expectation
  {
    std::string target, body;
  };
  std::vector<expectation> plan(requests);
  std::size_t offloaded = 0, to_backend = 0;
  for (std::size_t j = 0; j < requests; ++j)
  {
    const std::uint64_t n = 1000 + (j * 7919) % 20000;
    switch (j % 4)
    {
    case 0:
      plan[j] = {"/backend?key=" + std::to_string(j), "backend: item " + std::to_string(j) + "\n"};
      ++to_backend;
      break;
    case 1:
    case 2:
      plan[j] = {"/compute?n=" + std::to_string(n) + "&seed=" + std::to_string(j), expected_crunch(j, n)};
      ++offloaded;
      break;
    default:
      plan[j] = {"/inline/compute?n=" + std::to_string(n) + "&seed=" + std::to_string(j), expected_crunch(j, n)};
    }
  }

  std::vector<reply_seen> seen(requests);
  client_runner runner;
  const auto ep = endpoint_of(svc);
  for (std::size_t i = 0; i < connections; ++i)
    runner.spawn_client(ep,
                        [&, i](client& c) -> net::awaitable<void>
                        {
                          for (std::size_t j = i; j < requests; j += connections)
                            seen[j] = co_await c.get(plan[j].target);
                        });
  runner.run();
  // The server counts a response once its write completes, which may be
  // after the client has read it: finish the service before reading counters.
  svc.shutdown();
  svc.wait();

  std::size_t right = 0;
  for (std::size_t j = 0; j < requests; ++j)
  {
    const bool ok = seen[j].status == 200 && seen[j].body == plan[j].body && seen[j].keep_alive;
    right += ok ? 1 : 0;
    BOOST_TEST_CONTEXT("request " << j << " " << plan[j].target)
    {
      if (!ok)
        BOOST_TEST(seen[j].status == 200u,
                   "status " << seen[j].status << " body " << seen[j].body << " error " << seen[j].error.message());
    }
  }
  BOOST_TEST(right == requests);
  BOOST_TEST(svc.stats().requests.load() == requests);
  BOOST_TEST(svc.stats().answered.load() == requests);
  BOOST_TEST(svc.stats().offloaded.load() == offloaded);
  BOOST_TEST(svc.stats().saturated.load() == 0u);
  BOOST_TEST(backend.requests() == to_backend); // a healthy backend: no retries
}

BOOST_AUTO_TEST_CASE(beyond_the_queue_bound_the_service_answers_503_at_once, *boost::unit_test::timeout(60))
{
  http_offload::backend backend;
  http_offload::service svc(two_held_slots(backend, 2));
  herd::capacity_limiter& limiter = svc.limiter();
  hold_both_slots(svc); // two requests queue, the third is refused

  client_runner runner;
  const auto ep = endpoint_of(svc);
  std::vector<reply_seen> queued(2);
  reply_seen refused;
  for (std::size_t i = 0; i < 2; ++i)
    runner.spawn_client(ep,
                        [&, i](client& c) -> net::awaitable<void>
                        {
                          const std::string target = "/compute?n=5000&seed=" + std::to_string(i);
                          queued[i] = co_await c.get(target);
                        });
  runner.spawn(
      [&]() -> net::awaitable<void>
      {
        co_await runner.until([&] { return limiter.waiting() == 2; });
        client c(runner.ctx.get_executor());
        co_await c.connect(ep);
        const std::string target = "/compute?n=5000";
        refused = co_await c.get(target);
        // Answered while both queued requests still wait: refused at once.
        BOOST_TEST(limiter.waiting() == 2u);
        BOOST_TEST(queued[0].status == 0u);
        limiter.release(2);
      });
  runner.run();

  BOOST_TEST(refused.status == 503u);
  BOOST_TEST(refused.body.find("saturated: 2 running and 2 queued (queue bound 2)") != std::string::npos, refused.body);
  for (std::size_t i = 0; i < 2; ++i)
  {
    BOOST_TEST(queued[i].status == 200u);
    BOOST_TEST(queued[i].body == expected_crunch(i, 5000));
  }
  BOOST_TEST(svc.stats().saturated.load() == 1u);
  BOOST_TEST(svc.stats().offloaded.load() == 2u);
}

BOOST_AUTO_TEST_CASE(a_failing_backend_opens_the_breaker_then_the_service_recovers, *boost::unit_test::timeout(60))
{
  herd::testing::manual_clock clock;
  http_offload::backend backend(1ms);
  http_offload::options o;
  o.backend = backend.endpoint();
  o.clock = &clock;
  o.backend_retry = herd::retry_policy::fixed(2, 0ms); // two attempts, no backoff
  o.breaker = {.failure_threshold = 3, .reset_timeout = 30s, .half_open_successes = 2};
  http_offload::service svc(o);

  client_runner runner;
  const auto ep = endpoint_of(svc);
  runner.spawn_client(
      ep,
      [&](client& c) -> net::awaitable<void>
      {
        const std::string target = "/backend?key=k";
        reply_seen r = co_await c.get(target);
        BOOST_TEST(r.status == 200u);
        BOOST_TEST(r.body == "backend: item k\n");

        backend.fail(true);
        for (int i = 0; i < 3; ++i)
        {
          r = co_await c.get(target);
          BOOST_TEST(r.status == 502u);
          BOOST_TEST(r.body.find("backend failed after retries: backend answered 500") != std::string::npos, r.body);
        }
        BOOST_TEST(backend.requests() == 1u + 3u * 2u); // each failed call made both attempts
        BOOST_TEST((svc.breaker().state() == herd::breaker_state::open));

        // Open: 503 with a clear body, and the backend is not called at all.
        const std::size_t calls = backend.requests();
        for (int i = 0; i < 5; ++i)
        {
          r = co_await c.get(target);
          BOOST_TEST(r.status == 503u);
          BOOST_TEST(r.body.find("circuit breaker open") != std::string::npos, r.body);
        }
        BOOST_TEST(backend.requests() == calls);
        BOOST_TEST(svc.stats().circuit_open.load() == 5u);

        // The backend heals; within the reset timeout the breaker stays open...
        backend.fail(false);
        clock.advance(29s);
        r = co_await c.get(target);
        BOOST_TEST(r.status == 503u);
        BOOST_TEST(backend.requests() == calls);
        // ...after it, two successful probes close it again.
        clock.advance(1s);
        for (int i = 0; i < 3; ++i)
        {
          r = co_await c.get(target);
          BOOST_TEST(r.status == 200u);
          BOOST_TEST(r.body == "backend: item k\n");
        }
        BOOST_TEST(backend.requests() == calls + 3u);
        BOOST_TEST((svc.breaker().state() == herd::breaker_state::closed));
      });
  runner.run();
}

BOOST_AUTO_TEST_CASE(sigint_shuts_down_gracefully_and_loses_no_accepted_request, *boost::unit_test::timeout(60))
{
  http_offload::backend backend;
  http_offload::options o = two_held_slots(backend, 64);
  o.handle_signals = true;
  http_offload::service svc(o);
  herd::capacity_limiter& limiter = svc.limiter();
  hold_both_slots(svc);

  constexpr std::size_t in_flight = 16;
  client_runner runner;
  const auto ep = endpoint_of(svc);
  std::vector<reply_seen> seen(in_flight);
  for (std::size_t i = 0; i < in_flight; ++i)
    runner.spawn_client(ep,
                        [&, i](client& c) -> net::awaitable<void>
                        {
                          const std::string target = "/compute?n=20000&seed=" + std::to_string(i);
                          seen[i] = co_await c.get(target);
                        });
  bool idle_closed = false, refused_new = false;
  runner.spawn(
      [&]() -> net::awaitable<void>
      {
        // An idle keep-alive connection: answered once, then waiting.
        client idle(runner.ctx.get_executor());
        co_await idle.connect(ep);
        const std::string hello = "/hello";
        const reply_seen h = co_await idle.get(hello);
        BOOST_TEST(h.status == 200u);

        // Every request read and queued on the limiter; then SIGINT.
        co_await runner.until([&] { return limiter.waiting() == in_flight; });
        BOOST_TEST(svc.stats().requests.load() == in_flight + 1);
        std::raise(SIGINT);

        // The idle connection is closed by the server, new connections are refused...
        idle_closed = co_await idle.closed_by_server();
        client late(runner.ctx.get_executor());
        const auto ec = co_await late.connect(ep);
        refused_new = ec == net::error::connection_refused;
        // ...and the queued requests are all still answered.
        BOOST_TEST(limiter.waiting() == in_flight);
        limiter.release(2);
      });
  runner.run();
  svc.wait(); // returns: the I/O threads ran out of work

  BOOST_TEST(idle_closed);
  BOOST_TEST(refused_new);
  for (std::size_t i = 0; i < in_flight; ++i)
  {
    BOOST_TEST(seen[i].status == 200u, "request " << i << ": " << seen[i].status << " " << seen[i].error.message());
    BOOST_TEST(seen[i].body == expected_crunch(i, 20000));
    BOOST_TEST(!seen[i].keep_alive); // answered with Connection: close
  }
  BOOST_TEST(svc.stats().requests.load() == in_flight + 1);
  BOOST_TEST(svc.stats().answered.load() == in_flight + 1);
}

BOOST_AUTO_TEST_CASE(invalid_options_and_requests_are_named, *boost::unit_test::timeout(60))
{
  http_offload::options bad;
  bad.max_in_flight = 0;
  BOOST_CHECK_EXCEPTION(http_offload::service{bad}, std::invalid_argument,
                        [](const std::invalid_argument& e)
                        { return std::string(e.what()).find("max_in_flight") != std::string::npos; });

  http_offload::backend backend;
  http_offload::options o;
  o.backend = backend.endpoint();
  http_offload::service svc(o);
  client_runner runner;
  const auto ep = endpoint_of(svc);
  runner.spawn_client(ep,
                      [&](client& c) -> net::awaitable<void>
                      {
                        const std::string too_big = "/compute?n=99999999999", not_a_number = "/compute?n=ten",
                                          nowhere = "/nowhere";
                        reply_seen r = co_await c.get(too_big);
                        BOOST_TEST(r.status == 400u);
                        BOOST_TEST(r.body.find("bad n") != std::string::npos, r.body);
                        r = co_await c.get(not_a_number);
                        BOOST_TEST(r.status == 400u);
                        r = co_await c.get(nowhere);
                        BOOST_TEST(r.status == 404u);
                      });
  runner.run();
}

BOOST_AUTO_TEST_SUITE_END()
