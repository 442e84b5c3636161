// Example: streams. A pipeline that reads "log lines" from two producers,
// merges them, keeps the errors, parses them on 4 concurrent calls (results
// in input order), throttles them to 200 per second and writes them in
// batches of 50 (or whatever arrived within 100 ms); then the same stream
// types from a plain thread with herd::blocking, and a producer's failure.

#include <herd/herd.hpp>

#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace net = boost::asio;
namespace hs = herd::streams;
using namespace std::chrono_literals;

// A producer: n lines, every 7th an error.
herd::stream<std::string> lines(net::any_io_executor ex, std::string host, int n)
{
  return hs::generate<std::string>(ex,
                                   [host, n](herd::stream_sink<std::string>& out) -> net::awaitable<void>
                                   {
                                     for (int i = 0; i < n; ++i)
                                     {
                                       std::string line = host + (i % 7 == 0 ? " ERROR " : " ok ") + std::to_string(i);
                                       co_await out.push(std::move(line)); // waits while the stream is full
                                     }
                                   });
}

struct error_record
{
  std::string host;
  int line;
};

int main()
{
  net::thread_pool pool(4);
  auto ex = pool.get_executor();

  // 1. merge | filter | map(concurrency 4, ordered) | throttle | batch, drained by for_each.
  auto errors = hs::merge(lines(ex, "web-1", 350), lines(ex, "web-2", 350)) |
                hs::filter([](const std::string& l) { return l.find("ERROR") != std::string::npos; }) |
                hs::map(
                    [](std::string l) -> net::awaitable<error_record>
                    {
                      co_return error_record{l.substr(0, l.find(' ')), std::stoi(l.substr(l.rfind(' ') + 1))};
                    },
                    {.concurrency = 4, .ordered = true}) |
                hs::throttle(200, 1s, 20) | hs::batch(50, 100ms);
  const auto t0 = std::chrono::steady_clock::now();
  std::size_t batches = 0, records = 0;
  hs::for_each(std::move(errors),
               [&](std::vector<error_record> b)
               {
                 ++batches;
                 records += b.size();
                 std::printf("  batch %zu: %zu errors, first %s:%d\n", batches, b.size(), b.front().host.c_str(),
                             b.front().line);
               },
               net::use_future)
      .get();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%zu error lines in %zu batches, %.2f s (throttled to 200/s after a burst of 20)\n", records, batches,
              secs);
  if (records != 2 * 50)
    return 1;

  // 2. From a plain thread: blocking iteration, enumerate and take.
  for (auto [i, line] : herd::blocking(lines(ex, "db-1", 1000) | hs::enumerate() | hs::take(3)))
    std::printf("  #%zu %s\n", i, line.c_str());

  // 3. A producer's failure arrives after the items it pushed.
  auto flaky = hs::generate<int>(ex,
                                 [](herd::stream_sink<int>& out) -> net::awaitable<void>
                                 {
                                   co_await out.push(1);
                                   co_await out.push(2);
                                   throw std::runtime_error("disk full");
                                 });
  auto v = hs::to_vector(std::move(flaky) | hs::map([](int x) { return x * 10; }), net::use_future);
  try
  {
    v.get();
  }
  catch (const std::exception& e)
  {
    std::printf("the producer failed after its items: %s\n", e.what());
  }
  pool.join();
  return 0;
}
