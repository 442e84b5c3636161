// Fixtures shared by herd's unit tests.
#ifndef HERD_TEST_SUPPORT_HPP
#define HERD_TEST_SUPPORT_HPP

#include <herd/herd.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>
#include <atomic>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

namespace herd::test {

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

} // namespace herd::test

// A test case whose body is a coroutine: CO_TEST_CASE(name, decorators...) { co_await ...; }
#define HERD_CO_TEST_CASE(name, ...)                                                                                  \
  static boost::asio::awaitable<void> name##_co_body();                                                              \
  BOOST_AUTO_TEST_CASE(name __VA_OPT__(, ) __VA_ARGS__) { ::herd::test::run_coroutine(&name##_co_body); }             \
  static boost::asio::awaitable<void> name##_co_body()

#endif // HERD_TEST_SUPPORT_HPP
