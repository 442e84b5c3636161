//
// examples/beast/http_offload/service.hpp
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
//
// Copyright (c) 2026 The herd authors
//
// Distributed under the Boost Software License, Version 1.0. (See accompanying
// file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
//
// The Boost.Beast HTTP service of examples/beast/http_offload, in a header so
// that test/acceptance drives the very same code. main.cpp adds the command
// line.
//
// Routes (GET):
//   /compute?n=N&seed=S   CPU-heavy work (N rounds of a xorshift mix) run on a
//                         herd::async_executor through a completion token,
//                         admitted by a herd::capacity_limiter: at most
//                         max_in_flight run at once, at most queue_bound wait
//                         for a slot, beyond that 503 at once.
//   /inline/compute?...   the same work on the I/O thread (the baseline of
//                         the load figure in README).
//   /backend?key=K        asks the slower local backend (class backend) for K
//                         through herd::async_retry inside a
//                         herd::circuit_breaker: 502 when the backend keeps
//                         failing, 503 with a clear body while the breaker is
//                         open (no call reaches the backend then).
//   /hello                a constant answer (the cheap request of the mix).
//   /stats                the counters, as text.
//
// Shutdown (shutdown(), or SIGINT/SIGTERM with handle_signals): the acceptor
// closes, idle keep-alive connections close, every request already read is
// answered (with "Connection: close"), then the I/O threads return and the
// executor drains. No accepted request is lost.
//
// Threads: io_threads run the io_context; each connection is a coroutine on
// its own strand. The limiter and the breaker are thread-safe herd objects on
// the io_context's executor; their timers (the breaker's reset timeout, the
// retry backoff) read that context's herd::clock, which a test replaces with
// a herd::testing::manual_clock.

#ifndef HERD_EXAMPLES_HTTP_OFFLOAD_SERVICE_HPP
#define HERD_EXAMPLES_HTTP_OFFLOAD_SERVICE_HPP

#include "client.hpp"

#include <herd/herd.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace http_offload
{

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

/// The CPU-heavy request work: @p n rounds of a xorshift mix of @p seed.
inline std::uint64_t crunch(std::uint64_t seed, std::uint64_t n) noexcept
{
  std::uint64_t x = seed ^ 0x9e3779b97f4a7c15ull;
  for (std::uint64_t i = 0; i < n; ++i)
  {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x += i;
  }
  return x;
}

/// The value of query parameter @p name in @p target ("/path?a=1&b=2"), if present.
inline std::optional<std::string_view> query_param(std::string_view target, std::string_view name)
{
  const auto q = target.find('?');
  if (q == std::string_view::npos)
    return std::nullopt;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty())
  {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name)
      return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (amp == std::string_view::npos)
      break;
    rest.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

inline std::optional<std::uint64_t> to_u64(std::optional<std::string_view> o)
{
  if (!o)
    return std::nullopt;
  const std::string_view s = *o;
  std::uint64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty())
    return std::nullopt;
  return v;
}

inline std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

/// The slower local dependency: GET /item?key=K answers "item K" after
/// @c delay, or 500 while fail(true) is set. One I/O thread.
class backend
{
public:
  explicit backend(std::chrono::milliseconds delay = 2ms)
      : delay_(delay), acceptor_(ioc_, {net::ip::make_address("127.0.0.1"), 0})
  {
    net::co_spawn(ioc_, accept_loop(), net::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }

  ~backend()
  {
    net::post(ioc_, [this] { ioc_.stop(); });
    thread_.join();
  }

  backend(const backend&) = delete;
  backend& operator=(const backend&) = delete;

  tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }
  void fail(bool on) noexcept { failing_.store(on); }
  /// Requests received so far.
  std::size_t requests() const noexcept { return requests_.load(); }

private:
  net::awaitable<void> accept_loop()
  {
    for (;;)
    {
      auto [ec, socket] = co_await acceptor_.async_accept(net::as_tuple(net::use_awaitable));
      if (ec)
        co_return;
      net::co_spawn(ioc_, serve(beast::tcp_stream(std::move(socket))), net::detached);
    }
  }

  net::awaitable<void> serve(beast::tcp_stream stream)
  {
    beast::flat_buffer buffer;
    for (;;)
    {
      http::request<http::string_body> req;
      auto [ec, n] = co_await http::async_read(stream, buffer, req, net::as_tuple(net::use_awaitable));
      if (ec)
        co_return;
      requests_.fetch_add(1);
      net::steady_timer t(stream.get_executor(), delay_);
      co_await t.async_wait(net::as_tuple(net::use_awaitable));
      http::response<http::string_body> res;
      res.version(req.version());
      res.keep_alive(req.keep_alive());
      if (failing_.load())
      {
        res.result(http::status::internal_server_error);
        res.body() = "backend failure (injected)";
      }
      else
      {
        res.result(http::status::ok);
        res.body() = "item " + std::string(query_param(req.target(), "key").value_or(""));
      }
      res.prepare_payload();
      auto [wec, wn] = co_await http::async_write(stream, res, net::as_tuple(net::use_awaitable));
      if (wec || !req.keep_alive())
        co_return;
    }
  }

  std::chrono::milliseconds delay_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<bool> failing_{false};
  std::atomic<std::size_t> requests_{0};
};

/// Tuning of the service.
struct options
{
  unsigned short port = 0;          ///< 0: an ephemeral port (see service::port())
  std::size_t io_threads = 1;       ///< threads running the io_context
  std::size_t work_threads = 2;     ///< threads of the herd::async_executor
  std::size_t max_in_flight = 4;    ///< /compute requests running at once (capacity_limiter total)
  std::size_t queue_bound = 64;     ///< /compute requests that may wait; beyond: 503
  std::uint64_t max_n = 50'000'000; ///< the largest n /compute accepts
  tcp::endpoint backend;            ///< where the backend listens
  std::chrono::milliseconds backend_timeout = 2s;
  herd::retry_policy backend_retry = herd::retry_policy::exponential(3, 10ms);
  herd::breaker_options breaker{.failure_threshold = 5, .reset_timeout = 5s, .half_open_successes = 2};
  bool handle_signals = false;  ///< SIGINT/SIGTERM start a graceful shutdown
  herd::clock* clock = nullptr; ///< the clock of the timed parts (default: the real one)
};

/// What the service has done, for /stats and the tests.
struct counters
{
  std::atomic<std::size_t> requests{0};       ///< requests read
  std::atomic<std::size_t> answered{0};       ///< responses written
  std::atomic<std::size_t> offloaded{0};      ///< /compute runs on the executor
  std::atomic<std::size_t> saturated{0};      ///< 503: beyond the queue bound
  std::atomic<std::size_t> circuit_open{0};   ///< 503: breaker open
  std::atomic<std::size_t> backend_failed{0}; ///< 502: backend failed after the retries
};

/// The HTTP service.
class service
{
public:
  /// Binds 127.0.0.1:port and starts the I/O threads.
  /// @throws std::invalid_argument naming a zero io_threads, work_threads or max_in_flight.
  explicit service(options opts)
      : opts_(check(std::move(opts))), pool_(opts_.work_threads), limiter_(ioc_.get_executor(), opts_.max_in_flight),
        breaker_(init_clock(ioc_, opts_.clock).get_executor(), opts_.breaker), acceptor_strand_(net::make_strand(ioc_)),
        acceptor_(acceptor_strand_, {net::ip::make_address("127.0.0.1"), opts_.port}), signals_(ioc_),
        port_(acceptor_.local_endpoint().port())
  {
    if (opts_.handle_signals)
    {
      signals_.add(SIGINT);
      signals_.add(SIGTERM);
      signals_.async_wait(
          [this](boost::system::error_code ec, int sig)
          {
            if (!ec)
            {
              std::printf("http_offload: signal %d, shutting down gracefully\n", sig);
              std::fflush(stdout);
              shutdown();
            }
          });
    }
    net::co_spawn(acceptor_strand_, accept_loop(), net::detached);
    for (std::size_t i = 0; i < opts_.io_threads; ++i)
      threads_.emplace_back([this] { ioc_.run(); });
  }

  ~service()
  {
    shutdown();
    wait();
  }

  service(const service&) = delete;
  service& operator=(const service&) = delete;

  /// The port it listens on.
  unsigned short port() const { return port_; }

  /// Starts a graceful shutdown (idempotent, any thread, also from a signal).
  void shutdown()
  {
    if (stopping_.exchange(true))
      return;
    net::post(acceptor_strand_,
              [this]
              {
                boost::system::error_code ignored;
                acceptor_.close(ignored);
                signals_.cancel(ignored);
                std::lock_guard lock(mutex_);
                for (const auto& c : connections_)
                  net::post(c->stream.get_executor(), [c] { c->close_if_idle(); });
              });
  }

  /// Waits for the shutdown to finish: every accepted request answered, the
  /// I/O threads returned, the executor drained.
  void wait()
  {
    for (auto& t : threads_)
      if (t.joinable())
        t.join();
    pool_.shutdown(true);
  }

  const counters& stats() const noexcept { return stats_; }
  herd::capacity_limiter& limiter() noexcept { return limiter_; }
  herd::circuit_breaker& breaker() noexcept { return breaker_; }
  net::io_context& context() noexcept { return ioc_; }

private:
  struct connection
  {
    explicit connection(tcp::socket s) : stream(std::move(s)) {}
    beast::tcp_stream stream;
    bool busy = false; // a request has been read and is not answered yet (touched on the strand only)
    void close_if_idle()
    {
      if (!busy)
      {
        boost::system::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream.socket().close(ignored);
      }
    }
  };

  using response = http::response<http::string_body>;

  static options check(options o)
  {
    if (o.io_threads == 0)
      throw std::invalid_argument("http_offload::service: io_threads must be at least 1");
    if (o.work_threads == 0)
      throw std::invalid_argument("http_offload::service: work_threads must be at least 1");
    if (o.max_in_flight == 0)
      throw std::invalid_argument("http_offload::service: max_in_flight must be at least 1");
    o.backend_retry.validate();
    return o;
  }

  static net::io_context& init_clock(net::io_context& ioc, herd::clock* c)
  {
    if (c)
      herd::use_clock(ioc, *c);
    return ioc;
  }

  net::awaitable<void> accept_loop()
  {
    for (;;)
    {
      auto [ec, socket] = co_await acceptor_.async_accept(net::make_strand(ioc_), net::as_tuple(net::use_awaitable));
      if (ec || stopping_.load())
        co_return; // closed by shutdown(); a socket accepted meanwhile is closed by its destructor
      auto c = std::make_shared<connection>(std::move(socket));
      {
        std::lock_guard lock(mutex_);
        connections_.insert(c);
      }
      net::co_spawn(c->stream.get_executor(), session(c), net::detached);
    }
  }

  net::awaitable<void> session(std::shared_ptr<connection> c)
  {
    beast::flat_buffer buffer;
    for (;;)
    {
      if (stopping_.load())
        break;
      http::request<http::string_body> req;
      auto [ec, n] = co_await http::async_read(c->stream, buffer, req, net::as_tuple(net::use_awaitable));
      if (ec)
        break;
      c->busy = true;
      stats_.requests.fetch_add(1);
      response res = co_await handle(req);
      res.version(req.version());
      res.keep_alive(req.keep_alive() && !stopping_.load());
      res.prepare_payload();
      auto [wec, wn] = co_await http::async_write(c->stream, res, net::as_tuple(net::use_awaitable));
      c->busy = false;
      if (!wec)
        stats_.answered.fetch_add(1);
      if (wec || !res.keep_alive())
        break;
    }
    boost::system::error_code ignored;
    c->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    std::lock_guard lock(mutex_);
    connections_.erase(c);
  }

  static response reply(http::status s, std::string body)
  {
    response res;
    res.result(s);
    res.set(http::field::content_type, "text/plain");
    res.body() = std::move(body);
    res.body() += '\n';
    return res;
  }

  net::awaitable<response> handle(const http::request<http::string_body>& req)
  {
    const std::string_view target(req.target().data(), req.target().size());
    const std::string_view path = path_of(target);
    if (req.method() != http::verb::get)
      co_return reply(http::status::method_not_allowed, "only GET is served");
    if (path == "/hello")
      co_return reply(http::status::ok, "hello");
    if (path == "/compute" || path == "/inline/compute")
      co_return co_await compute(target, path == "/compute");
    if (path == "/backend")
    {
      std::string key(query_param(target, "key").value_or(""));
      co_return co_await call_backend(std::move(key));
    }
    if (path == "/stats")
      co_return reply(http::status::ok, stats_text());
    co_return reply(http::status::not_found, "no route " + std::string(path));
  }

  net::awaitable<response> compute(std::string_view target, bool offload)
  {
    const auto n = to_u64(query_param(target, "n"));
    if (!n || *n > opts_.max_n)
      co_return reply(http::status::bad_request,
                      "bad n: give /compute?n=N with N in [0, " + std::to_string(opts_.max_n) + "]");
    const std::uint64_t seed = to_u64(query_param(target, "seed")).value_or(1);
    const std::uint64_t rounds = *n;
    if (!offload)
      co_return reply(http::status::ok, std::to_string(crunch(seed, rounds)));

    // Admission: a free slot, or a place in the bounded queue, or 503 now.
    herd::semaphore::permit slot;
    if (limiter_.try_acquire())
      slot = herd::semaphore::permit(&limiter_);
    else if (limiter_.waiting() >= opts_.queue_bound)
    {
      stats_.saturated.fetch_add(1);
      response res = reply(http::status::service_unavailable, "saturated: " + std::to_string(limiter_.borrowed()) +
                                                                  " running and " + std::to_string(limiter_.waiting()) +
                                                                  " queued (queue bound " +
                                                                  std::to_string(opts_.queue_bound) + "); retry later");
      res.set(http::field::retry_after, "1");
      co_return res;
    }
    else
      slot = co_await limiter_.async_acquire_permit(net::use_awaitable);

    stats_.offloaded.fetch_add(1);
    auto work = [seed, rounds] { return crunch(seed, rounds); };
    const std::uint64_t v = co_await pool_.async_submit(work, net::use_awaitable);
    co_return reply(http::status::ok, std::to_string(v));
  }

  // One GET of the backend on a fresh connection; throws on any failure.
  net::awaitable<std::string> fetch(std::string key)
  {
    client c(co_await net::this_coro::executor);
    c.stream().expires_after(opts_.backend_timeout);
    if (const auto ec = co_await c.connect(opts_.backend))
      throw boost::system::system_error(ec, "backend connect");
    const std::string target = "/item?key=" + key;
    reply_seen r = co_await c.get(target);
    if (r.error)
      throw boost::system::system_error(r.error, "backend exchange");
    if (r.status != 200)
      throw std::runtime_error("backend answered " + std::to_string(r.status));
    co_return std::move(r.body);
  }

  net::awaitable<response> call_backend(std::string key)
  {
    try
    {
      // (Named, not a temporary inside the co_await: g++ 12 destroys such
      // temporaries twice.)
      auto call = [this, key]
      {
        return herd::async_retry(
            opts_.backend_retry, [this, key] { return fetch(key); }, net::deferred);
      };
      std::string body = co_await breaker_.async_call(std::move(call), net::use_awaitable);
      co_return reply(http::status::ok, "backend: " + body);
    }
    catch (const herd::circuit_open_error&)
    {
      stats_.circuit_open.fetch_add(1);
      response res = reply(http::status::service_unavailable,
                           "backend unavailable: circuit breaker open after repeated failures; not calling it "
                           "for now, retry later");
      res.set(http::field::retry_after, "5");
      co_return res;
    }
    catch (const std::exception& e)
    {
      stats_.backend_failed.fetch_add(1);
      co_return reply(http::status::bad_gateway, std::string("backend failed after retries: ") + e.what());
    }
  }

  std::string stats_text() const
  {
    return "requests " + std::to_string(stats_.requests.load()) + "\nanswered " +
           std::to_string(stats_.answered.load()) + "\noffloaded " + std::to_string(stats_.offloaded.load()) +
           "\nsaturated " + std::to_string(stats_.saturated.load()) + "\ncircuit_open " +
           std::to_string(stats_.circuit_open.load()) + "\nbackend_failed " +
           std::to_string(stats_.backend_failed.load());
  }

  options opts_;
  net::io_context ioc_;
  herd::async_executor pool_;
  herd::capacity_limiter limiter_;
  herd::circuit_breaker breaker_;
  net::strand<net::io_context::executor_type> acceptor_strand_;
  tcp::acceptor acceptor_;
  net::signal_set signals_;
  unsigned short port_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::set<std::shared_ptr<connection>> connections_;
  counters stats_;
  std::vector<std::thread> threads_;
};

} // namespace http_offload

#endif // HERD_EXAMPLES_HTTP_OFFLOAD_SERVICE_HPP
