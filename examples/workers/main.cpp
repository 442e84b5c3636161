// Example: workers, concurry's actors. A class whose methods run one at a
// time in their own context and return herd futures; a pool of them behind
// one call() with a load-balancing policy; broadcast to every worker; and
// the futures waited on with herd's wait strategies.

#include <herd/herd.hpp>

#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace net = boost::asio;
using namespace std::chrono_literals;

// Like concurry's DataWorker: state that only its own calls touch.
class data_worker
{
public:
  explicit data_worker(std::string prefix) : prefix_(std::move(prefix)) {}

  std::string fetch(int id)
  {
    std::this_thread::sleep_for(1ms); // pretend to do I/O
    ++served_;
    return prefix_ + std::to_string(id);
  }

  // A coroutine method: the worker awaits it before its next call starts.
  net::awaitable<int> slow_count(herd::duration d)
  {
    herd::timer t(co_await net::this_coro::executor);
    t.expires_after(d);
    co_await t.async_wait(net::use_awaitable);
    co_return served_;
  }

  int served() const { return served_; }

private:
  std::string prefix_;
  int served_ = 0;
};

int main()
{
  herd::async_executor ex(4);

  // One worker on a strand of the pool (concurry: mode="thread" would be
  // herd::worker_mode::thread, a dedicated thread).
  auto w = herd::make_worker<data_worker>(ex.get_executor(), herd::worker_mode::strand, "item-");
  std::vector<herd::future<std::string>> fs;
  for (int i = 0; i < 5; ++i)
    fs.push_back(w.call(&data_worker::fetch, i));
  for (const auto& s : herd::gather(fs))
    std::printf("%s ", s.c_str());
  std::printf("\nserved after a 5 ms coroutine call: %d\n", w.call(&data_worker::slow_count, herd::duration(5ms)).get());

  // A pool of four, least loaded first, with a progress bar over 40 calls.
  herd::worker_pool<data_worker> pool(ex.get_executor(), 4, herd::worker_mode::strand,
                                      herd::load_balancing::least_loaded, std::string("p-"));
  std::vector<herd::future<std::string>> many;
  for (int i = 0; i < 40; ++i)
    many.push_back(pool.call(&data_worker::fetch, i));
  auto fetched = herd::gather(many, {.progress = herd::progress_options{.desc = "fetch", .unit = "call"}});
  std::printf("pool fetched %zu, last %s\n", fetched.size(), fetched.back().c_str());

  // broadcast: every worker's count (they add up to 40).
  int total = 0;
  for (auto& f : pool.broadcast(&data_worker::served))
    total += f.get();
  std::printf("served per pool: %d\n", total);

  // stop drains the queued calls; later calls throw herd::shutdown_error.
  pool.stop();
  try
  {
    pool.call(&data_worker::fetch, 99);
  }
  catch (const herd::shutdown_error&)
  {
    std::printf("after stop: shutdown_error\n");
  }
  return total == 40 ? 0 : 1;
}
