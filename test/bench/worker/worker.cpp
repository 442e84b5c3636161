// Scenario "worker": calls per second through herd workers, against raw
// net::post to a strand of the same pool. Every call increments a counter in
// the worker's object and returns it (a future per call); the run ends when
// the last call's future is ready (calls on one worker run in order).
//   herd strand worker: one worker_mode::strand worker;
//   herd pool: a worker_pool of `threads` strand workers (round robin);
//   raw strand post: the same increments posted to one strand, the last one
//   completing a std::promise.
#include "../bench.hpp"

#include <herd/herd.hpp>
#include <herd/worker.hpp>
#include <herd/worker_process.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <future>
#include <stdexcept>

namespace herd::bench {
namespace {

struct counter
{
  long n = 0;
  long add() { return ++n; }
};

} // namespace
} // namespace herd::bench

HERD_WORKER_METHODS(herd::bench::counter, &herd::bench::counter::add);

namespace herd::bench {
namespace {

std::vector<result> run_worker(const options& o)
{
  namespace net = boost::asio;
  const std::size_t calls = std::max<std::size_t>(1000, static_cast<std::size_t>(1'000'000 * o.scale));
  herd::async_executor pool(o.threads);
  net::thread_pool raw_pool(o.threads);
  auto one_worker = [&]
  {
    auto w = herd::make_worker<counter>(pool.get_executor(), herd::worker_mode::strand);
    herd::future<long> last;
    for (std::size_t i = 0; i < calls; ++i)
      last = w.call<&counter::add>();
    if (last.get() != static_cast<long>(calls))
      throw std::runtime_error("worker: wrong count from the strand worker");
  };
  auto worker_pool = [&]
  {
    herd::worker_pool<counter> p(pool.get_executor(), o.threads, herd::worker_mode::strand);
    std::vector<herd::future<long>> last(o.threads);
    for (std::size_t i = 0; i < calls; ++i)
      last[i % o.threads] = p.call<&counter::add>();
    long total = 0;
    for (auto& f : last)
      total += f.get();
    if (total != static_cast<long>(calls))
      throw std::runtime_error("worker: wrong count from the pool");
  };
  auto raw_strand = [&]
  {
    auto strand = net::make_strand(raw_pool);
    counter c;
    std::promise<long> done;
    for (std::size_t i = 0; i < calls; ++i)
      net::post(strand,
                [&c, &done, last = i + 1 == calls]
                {
                  long v = c.add();
                  if (last)
                    done.set_value(v);
                });
    if (done.get_future().get() != static_cast<long>(calls))
      throw std::runtime_error("worker: wrong count from the raw strand");
  };
  // A process-mode worker: each call is a round trip to a child process
  // (serialize, send, run, reply), so it gets a smaller count.
  const std::size_t remote_calls = std::max<std::size_t>(100, calls / 50);
  auto process_worker = [&]
  {
    auto w = herd::make_worker<counter>(pool.get_executor(), herd::worker_mode::process);
    herd::future<long> last;
    for (std::size_t i = 0; i < remote_calls; ++i)
      last = w.call<&counter::add>();
    if (last.get() != static_cast<long>(remote_calls))
      throw std::runtime_error("worker: wrong count from the process worker");
  };
  const auto ns = interleaved_median_ns(o.repeat, {one_worker, worker_pool, raw_strand, process_worker});
  const double per = static_cast<double>(calls);
  const std::string param = std::to_string(calls) + " calls";
  return {{"herd strand worker (future per call)", param, ns[0] / per},
          {"herd worker_pool of threads workers", param, ns[1] / per},
          {"raw post to a strand (no result)", param, ns[2] / per},
          {"herd process worker (round trip per call)", std::to_string(remote_calls) + " calls",
           ns[3] / static_cast<double>(remote_calls)}};
}

const registrar reg("worker", "calls through a strand worker and a worker pool vs raw strand post (ns/call)",
                    run_worker);

} // namespace
} // namespace herd::bench
