// Example: the tour, run by README's first command. In a few seconds, with
// progress bars where work is long: gather over 1,000 tasks, results
// streamed as they complete, a race whose losers are cancelled, a bounded
// map with retries against a flaky service on loopback, a stream pipeline, a
// task group whose first failure cancels its siblings, and a summary table.
// Exits 0 when every step checked out; needs no terminal.

#include <herd/herd.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace net = boost::asio;
namespace hs = herd::streams;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using stopwatch = std::chrono::steady_clock;

namespace
{

struct row
{
  std::string what;
  std::size_t tasks;
  std::string result;
  double seconds;
  bool ok;
};

double since(stopwatch::time_point t0) { return std::chrono::duration<double>(stopwatch::now() - t0).count(); }

// A line-based service on 127.0.0.1 that fails on purpose: the first attempt
// for every key divisible by 3 is refused ("ERR busy"), and for keys
// divisible by 9 the second attempt too. Otherwise "k" gets "k*k".
class flaky_service
{
public:
  flaky_service() : acceptor_(ioc_, {net::ip::make_address("127.0.0.1"), 0})
  {
    thread_ = std::thread(
        [this]
        {
          for (;;)
          {
            boost::system::error_code ec;
            tcp::socket s(ioc_);
            acceptor_.accept(s, ec);
            if (ec || stopping_)
              return;
            serve(s);
          }
        });
  }

  ~flaky_service()
  {
    stopping_ = true;
    boost::system::error_code ec;
    tcp::socket poke(ioc_);
    poke.connect(acceptor_.local_endpoint(), ec); // wakes the blocking accept
    thread_.join();
  }

  tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }
  std::size_t refused() const { return refused_; }

private:
  void serve(tcp::socket& s)
  {
    boost::system::error_code ec;
    net::streambuf in;
    net::read_until(s, in, '\n', ec);
    if (ec)
      return;
    std::string line(net::buffers_begin(in.data()), net::buffers_begin(in.data()) + in.size() - 1);
    const long k = std::stol(line);
    const int attempt = ++attempts_[k];
    const bool refuse = (k % 3 == 0 && attempt == 1) || (k % 9 == 0 && attempt == 2);
    refused_ += refuse ? 1 : 0;
    const std::string reply = refuse ? "ERR busy\n" : std::to_string(k * k) + "\n";
    net::write(s, net::buffer(reply), ec);
  }

  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::map<long, int> attempts_; // touched by the service thread only
  std::atomic<std::size_t> refused_{0};
};

// A client call: connect, send the key, read one line. Throws on "ERR".
long ask(const tcp::endpoint& ep, long k)
{
  net::io_context ioc;
  tcp::socket s(ioc);
  s.connect(ep);
  net::write(s, net::buffer(std::to_string(k) + "\n"));
  net::streambuf in;
  net::read_until(s, in, '\n');
  std::string line(net::buffers_begin(in.data()), net::buffers_begin(in.data()) + in.size() - 1);
  if (line.rfind("ERR", 0) == 0)
    throw std::runtime_error("flaky service: " + line);
  return std::stol(line);
}

} // namespace

int main()
{
  const auto start = stopwatch::now();
  std::vector<row> rows;
  std::printf("herd tour: %u hardware threads; progress bars go to stderr\n\n", std::thread::hardware_concurrency());

  herd::async_executor ex(8); // a pool of 8 threads (the tasks below mostly wait)

  // 1. gather over 1,000 tasks, in input order, with a progress bar.
  {
    std::printf("1. gather: 1,000 tasks of 1-4 ms each on 8 threads, results in input order\n");
    const auto t0 = stopwatch::now();
    std::vector<herd::future<std::uint64_t>> fs;
    fs.reserve(1000);
    for (std::uint64_t i = 0; i < 1000; ++i)
      fs.push_back(ex.submit(
          [](std::uint64_t i)
          {
            std::this_thread::sleep_for(std::chrono::microseconds(1000 + (i * 7919) % 3000));
            return i * i;
          },
          i));
    const std::vector<std::uint64_t> v =
        herd::gather(fs, {.progress = herd::progress_options{.desc = "gather", .unit = "task"}});
    std::uint64_t sum = 0;
    bool in_order = v.size() == 1000;
    for (std::uint64_t i = 0; i < v.size(); ++i)
    {
      sum += v[i];
      in_order = in_order && v[i] == i * i;
    }
    const bool ok = in_order && sum == 332'833'500;
    std::printf("   sum of squares 0..999 = %llu (%s)\n\n", static_cast<unsigned long long>(sum),
                ok ? "correct, in order" : "WRONG");
    rows.push_back({"gather", 1000, ok ? "1000 values in input order" : "wrong values", since(t0), ok});
  }

  // 2. Results streamed as they complete (gather_iter: completion order).
  {
    std::printf("2. streaming: 10 downloads of different lengths, each handled the moment it lands\n");
    const auto t0 = stopwatch::now();
    std::vector<herd::future<std::string>> fs;
    for (int i = 0; i < 10; ++i)
      fs.push_back(ex.submit(
          [](int i)
          {
            std::this_thread::sleep_for(30ms * ((i * 7) % 10 + 1)); // 30..300 ms, shuffled
            return "page-" + std::to_string(i);
          },
          i));
    std::size_t seen = 0, out_of_order = 0, last = 0;
    for (auto& [index, value] : herd::gather_iter(fs))
    {
      std::printf("   %6.0f ms  #%zu %s\n", since(t0) * 1000, index, value.c_str());
      out_of_order += seen > 0 && index < last ? 1 : 0;
      last = index;
      ++seen;
    }
    const bool ok = seen == 10 && out_of_order > 0;
    std::printf("   %zu results, %zu arrived before an earlier-submitted one\n\n", seen, out_of_order);
    rows.push_back({"stream as completed", 10, std::to_string(seen) + " results, shortest first", since(t0), ok});
  }

  // 3. A race: the first mirror to answer wins, the others are cancelled.
  {
    std::printf("3. race: three mirrors (80, 400, 900 ms); the first answer wins, the losers are stopped\n");
    const auto t0 = stopwatch::now();
    struct mirror
    {
      const char* name;
      std::chrono::milliseconds latency;
    };
    const mirror mirrors[] = {{"mirror-eu", 400ms}, {"mirror-us", 80ms}, {"mirror-ap", 900ms}};
    std::atomic<int> stopped_early{0};
    std::vector<herd::future<std::string>> fs;
    for (const mirror& m : mirrors)
      fs.push_back(ex.submit(
          [m, &stopped_early](std::stop_token st)
          {
            const auto begin = stopwatch::now();
            while (stopwatch::now() - begin < m.latency)
            {
              if (st.stop_requested())
              {
                ++stopped_early;
                throw herd::cancelled_error(std::string(m.name) + " stopped by the race");
              }
              std::this_thread::sleep_for(1ms);
            }
            return std::string(m.name);
          }));
    const std::string winner = herd::race(fs, net::use_future).get();
    const double won_at = since(t0);
    herd::wait(fs); // the losers end promptly: their stop_token was set
    const double all_done = since(t0);
    std::size_t cancelled = 0;
    for (auto& f : fs)
      cancelled += f.exception() ? 1 : 0;
    std::printf("   %s won after %.0f ms; %d losers saw the stop request, all %zu tasks ended by %.0f ms\n\n",
                winner.c_str(), won_at * 1000, stopped_early.load(), fs.size(), all_done * 1000);
    const bool ok = winner == "mirror-us" && stopped_early == 2 && cancelled == 2;
    rows.push_back({"race", 3, winner + " won, 2 losers cancelled", all_done, ok});
  }

  // 4. A bounded map with retries against a flaky service on loopback.
  {
    flaky_service service;
    const tcp::endpoint ep = service.endpoint();
    std::printf("4. map: 300 requests to a flaky TCP service on %s:%u, at most 8 at once, up to 4 attempts each\n",
                ep.address().to_string().c_str(), ep.port());
    const auto t0 = stopwatch::now();
    std::vector<long> keys(300);
    for (long k = 0; k < 300; ++k)
      keys[k] = k;
    const std::vector<long> squares = ex.map(
        {.limit = 8,
         .retry = herd::retry_policy::exponential(4, 2ms),
         .progress = herd::progress_options{.desc = "map", .unit = "req"}},
        [ep](long k) { return ask(ep, k); }, keys);
    bool right = squares.size() == keys.size();
    for (std::size_t i = 0; right && i < squares.size(); ++i)
      right = squares[i] == keys[i] * keys[i];
    const std::size_t refused = service.refused();
    const bool ok = right && refused == 100 + 34;
    std::printf("   all %zu answers right: %s; the service refused %zu attempts, every one retried\n\n", squares.size(),
                right ? "yes" : "NO", refused);
    rows.push_back(
        {"map, limit 8, retries", 300, "300 ok after " + std::to_string(refused) + " retries", since(t0), ok});
  }

  // 5. A stream pipeline: filter, a concurrent map (results kept in input
  //    order), batches by size or time, drained by for_each.
  {
    std::printf("5. stream: 5,000 readings | filter(odd) | map(4 at once, ordered) | batch(500, 50 ms) | for_each\n");
    const auto t0 = stopwatch::now();
    auto readings = hs::generate<int>(ex.get_executor(),
                                      [](herd::stream_sink<int>& out) -> net::awaitable<void>
                                      {
                                        for (int i = 0; i < 5000; ++i)
                                          co_await out.push(i);
                                      });
    auto batches = std::move(readings) | hs::filter([](int x) { return x % 2 == 1; }) |
                   hs::map([](int x) { return static_cast<long>(x) * 3; }, {.concurrency = 4, .ordered = true}) |
                   hs::batch(500, 50ms);
    std::size_t n_batches = 0, items = 0;
    long sum = 0;
    bool ordered = true;
    long last = -1;
    hs::for_each(
        std::move(batches),
        [&](std::vector<long> b)
        {
          ++n_batches;
          for (long v : b)
          {
            ordered = ordered && v > last;
            last = v;
            sum += v;
            ++items;
          }
        },
        net::use_future)
        .get();
    const bool ok = items == 2500 && ordered && sum == 3L * 2500 * 2500;
    std::printf("   %zu items in %zu batches, in order: %s, sum %ld\n\n", items, n_batches, ordered ? "yes" : "NO",
                sum);
    rows.push_back({"stream pipeline", 5000,
                    std::to_string(items) + " items in " + std::to_string(n_batches) + " batches, in order", since(t0),
                    ok});
  }

  // 6. Structured concurrency: a task group whose first failure cancels the
  //    siblings (here a 10-second wait) and is rethrown once they have ended.
  {
    std::printf("6. task_group: three children; one fails after 20 ms, the two 10 s siblings are cancelled\n");
    const auto t0 = stopwatch::now();
    std::atomic<int> cancelled{0};
    auto sleeper = [&cancelled](std::chrono::milliseconds d, bool fail) -> net::awaitable<void>
    {
      net::steady_timer t(co_await net::this_coro::executor, d);
      try
      {
        co_await t.async_wait(net::use_awaitable);
      }
      catch (const boost::system::system_error&)
      {
        ++cancelled; // the group cancelled this child
        throw;
      }
      if (fail)
        throw std::runtime_error("the payment service is down");
    };
    std::string error;
    try
    {
      herd::run_sync(ex.get_executor(), herd::with_task_group(
                                            ex.get_executor(),
                                            [&](herd::task_group& g) -> net::awaitable<void>
                                            {
                                              g.spawn(sleeper(10s, false));
                                              g.spawn(sleeper(20ms, true));
                                              g.spawn(sleeper(10s, false));
                                              co_return;
                                            },
                                            net::use_awaitable));
    }
    catch (const std::exception& e)
    {
      error = e.what();
    }
    const double took = since(t0);
    std::printf("   the group raised \"%s\" after %.0f ms; %d siblings cancelled\n\n", error.c_str(), took * 1000,
                cancelled.load());
    const bool ok = error == "the payment service is down" && cancelled == 2 && took < 5;
    rows.push_back({"task_group, fail fast", 3, "failure raised, 2 siblings cancelled", took, ok});
  }

  ex.shutdown();
  const herd::executor_stats s = ex.stats();

  std::printf("%-24s %6s  %-36s %8s\n", "what ran", "tasks", "result", "time");
  std::printf("%-24s %6s  %-36s %8s\n", "------------------------", "------", "------------------------------------",
              "--------");
  bool all_ok = true;
  for (const row& r : rows)
  {
    std::printf("%-24s %6zu  %-36s %6.2f s%s\n", r.what.c_str(), r.tasks, r.result.c_str(), r.seconds,
                r.ok ? "" : "  FAILED");
    all_ok = all_ok && r.ok;
  }
  std::printf("\nexecutor: %zu submitted, %zu completed, %zu failed, %zu cancelled; tour took %.2f s\n", s.submitted,
              s.completed, s.failed, s.cancelled, since(start));
  std::printf("%s\n", all_ok ? "every step checked out" : "SOME STEPS FAILED");
  return all_ok ? 0 : 1;
}
