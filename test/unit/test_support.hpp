// Fixtures shared by herd's unit tests.
#ifndef HERD_TEST_SUPPORT_HPP
#define HERD_TEST_SUPPORT_HPP

#include <herd/herd.hpp>
#include <herd/testing/manual_clock.hpp>

#include <atomic>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace herd::test
{

namespace net = boost::asio;

// Runs a coroutine test body to completion on a private io_context and
// rethrows its exception. The body must finish: an unfinished body fails.
template <class Body>
void run_coroutine(Body body)
{
  net::io_context ctx;
  std::exception_ptr error;
  bool finished = false;
  net::co_spawn(ctx, body(),
                [&](std::exception_ptr e)
                {
                  error = e;
                  finished = true;
                });
  ctx.run();
  BOOST_REQUIRE_MESSAGE(finished, "the coroutine test body did not finish");
  if (error)
    std::rethrow_exception(error);
}

// Runs ctx until the coroutine finishes; returns its value (rethrows).
template <class T>
T run_on(net::io_context& ctx, net::awaitable<T> aw)
{
  auto fut = net::co_spawn(ctx, std::move(aw), net::use_future);
  ctx.restart();
  ctx.run();
  return fut.get();
}

// Waits d on the clock of the coroutine's executor (virtual time on a manual clock).
inline net::awaitable<void> sleep_for(herd::duration d)
{
  herd::timer t(co_await net::this_coro::executor);
  t.expires_after(d);
  co_await t.async_wait(net::use_awaitable);
}

// True if the exception's message mentions @c word (the argument it names).
inline bool message_names(const std::exception& e, const char* word)
{
  return std::string(e.what()).find(word) != std::string::npos;
}

// Every accepted task ended exactly once: completed, failed or cancelled.
inline void check_balanced(const herd::executor_stats& s)
{
  BOOST_TEST(s.queued == 0u);
  BOOST_TEST(s.running == 0u);
  BOOST_TEST(s.submitted == s.completed + s.failed + s.cancelled);
}

// n promises and their futures, for tests that settle inputs themselves.
struct promises
{
  explicit promises(std::size_t n) : ps(n)
  {
    for (auto& p : ps)
      fs.push_back(p.get_future());
  }
  std::vector<herd::promise<int>> ps;
  std::vector<herd::future<int>> fs;
};

// A test exception carrying data, to check exceptions arrive intact.
struct test_error : std::runtime_error
{
  explicit test_error(int c) : std::runtime_error("test_error " + std::to_string(c)), code(c) {}
  int code;
};

// A single-threaded io_context on a manual clock. advance() moves virtual
// time and runs every handler that becomes ready on the way, so timer
// chains fire at their exact virtual times.
struct clock_fixture
{
  clock_fixture() { herd::use_clock(ctx, clock); }

  // Runs the handlers ready now; returns how many ran.
  std::size_t poll()
  {
    ctx.restart();
    return ctx.poll();
  }

  void advance(herd::duration d)
  {
    clock.advance(d, [this] { poll(); });
  }

  // Seconds of virtual time since the fixture started.
  double elapsed() const { return std::chrono::duration<double>(clock.now() - start).count(); }

  net::io_context ctx;
  herd::testing::manual_clock clock;
  herd::testing::manual_clock::time_point start = clock.now();
  net::any_io_executor ex = ctx.get_executor();
};

// A completion handler that records its calls and checks that it runs on
// the io_context's thread, through the io_context (not inside the
// initiating call: the test polls to run it).
template <class... Args>
struct recorder
{
  struct state
  {
    int calls = 0;
    std::tuple<std::decay_t<Args>...> args;
  };
  std::shared_ptr<state> s = std::make_shared<state>();
  net::io_context* ctx = nullptr;

  explicit recorder(net::io_context& c) : ctx(&c) {}

  auto handler()
  {
    return net::bind_executor(ctx->get_executor(),
                              [s = s, ctx = ctx](Args... a)
                              {
                                BOOST_TEST(ctx->get_executor().running_in_this_thread());
                                ++s->calls;
                                s->args = std::make_tuple(std::move(a)...);
                              });
  }
  int calls() const { return s->calls; }
  template <std::size_t I = 0>
  const auto& get() const
  {
    return std::get<I>(s->args);
  }
};

// Counts the allocations made through it.
template <class T>
struct counting_allocator
{
  using value_type = T;
  std::atomic<int>* count;
  explicit counting_allocator(std::atomic<int>* c) noexcept : count(c) {}
  template <class U>
  counting_allocator(const counting_allocator<U>& o) noexcept : count(o.count)
  {
  }
  T* allocate(std::size_t n)
  {
    ++*count;
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>().deallocate(p, n); }
  template <class U>
  bool operator==(const counting_allocator<U>& o) const noexcept
  {
    return count == o.count;
  }
};

} // namespace herd::test

// A test case whose body is a coroutine: CO_TEST_CASE(name, decorators...) { co_await ...; }
#define HERD_CO_TEST_CASE(name, ...)                                                                                   \
  static boost::asio::awaitable<void> name##_co_body();                                                                \
  BOOST_AUTO_TEST_CASE(name __VA_OPT__(, ) __VA_ARGS__) { ::herd::test::run_coroutine(&name##_co_body); }              \
  static boost::asio::awaitable<void> name##_co_body()

#endif // HERD_TEST_SUPPORT_HPP
