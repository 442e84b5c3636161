// herd-stress: the stress programs of the one asynchronous-operation core.
//
//   herd_stress submits [N]     N submits from 4 threads, gathered in batches of 1,000
//   herd_stress cancels [N]     N future::cancel() calls racing the tasks' completion
//   herd_stress shutdown [N]    shutdown(false, true) while 4 threads submit; N rounds
//   herd_stress outlive [N]     N futures read after their executor is destroyed
//
// Each checks what it must (every value, every outcome, the executor's
// counts balance, no future left pending) and exits 1 with a message when
// something is off. Run without a count, each uses the size its ctest entry
// uses (small enough for the sanitizer builds); the full sizes of the issue
// (10,000,000 submits, 1,000,000 cancels) are given on the command line.
#include <herd/herd.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>
#include <vector>

namespace net = boost::asio;

namespace
{

[[noreturn]] void fail(const std::string& what)
{
  std::fprintf(stderr, "herd_stress: %s\n", what.c_str());
  std::exit(1);
}

void expect(bool ok, const std::string& what)
{
  if (!ok)
    fail(what);
}

// Every accepted task ended, and ended once.
void expect_balanced(const herd::executor_stats& s, const char* where)
{
  const std::size_t ended = s.completed + s.failed + s.cancelled;
  expect(s.queued == 0 && s.running == 0 && ended == s.submitted,
         std::string(where) + ": stats do not balance: submitted " + std::to_string(s.submitted) + ", completed " +
             std::to_string(s.completed) + ", failed " + std::to_string(s.failed) + ", cancelled " +
             std::to_string(s.cancelled) + ", queued " + std::to_string(s.queued) + ", running " +
             std::to_string(s.running));
}

constexpr int submitters = 4;

// N submits from 4 threads; each thread gathers its futures 1,000 at a time
// (herd::gather, blocking) and checks every value.
void submits(std::size_t n)
{
  herd::async_executor ex(2);
  std::atomic<std::size_t> checked{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < submitters; ++t)
    threads.emplace_back(
        [&ex, &checked, n, t]
        {
          const std::size_t mine = n / submitters + (static_cast<std::size_t>(t) < n % submitters ? 1 : 0);
          std::vector<herd::future<std::size_t>> batch;
          batch.reserve(1000);
          std::size_t next = 0;
          while (next < mine)
          {
            batch.clear();
            const std::size_t first = next;
            for (; next < mine && batch.size() < 1000; ++next)
              batch.push_back(ex.submit([](std::size_t i) { return i * 2; }, next));
            std::vector<std::size_t> got = herd::gather(batch);
            for (std::size_t i = 0; i < got.size(); ++i)
              if (got[i] != (first + i) * 2)
                fail("submits: a gathered value is wrong");
            checked += got.size();
          }
        });
  for (auto& th : threads)
    th.join();
  ex.shutdown(true);
  expect(checked.load() == n, "submits: not every value was gathered");
  expect_balanced(ex.stats(), "submits");
  expect(ex.stats().completed == n, "submits: not every task completed");
}

// N cancel() calls racing completion: a canceller thread cancels the futures
// the submitter publishes while the pool runs them. Each ends completed (its
// value) or cancelled (cancelled_error), never pending, never both.
void cancels(std::size_t n)
{
  herd::async_executor ex(2);
  std::vector<herd::future<int>> fs(n);
  std::atomic<std::size_t> published{0};
  std::thread canceller(
      [&]
      {
        std::size_t i = 0;
        while (i < n)
        {
          const std::size_t upto = published.load(std::memory_order_acquire);
          for (; i < upto; ++i)
            fs[i].cancel();
        }
      });
  for (std::size_t i = 0; i < n; ++i)
  {
    fs[i] = ex.submit([v = static_cast<int>(i % 1000)] { return v; });
    published.store(i + 1, std::memory_order_release);
  }
  canceller.join();
  ex.shutdown(true);
  std::size_t completed = 0, cancelled = 0;
  for (std::size_t i = 0; i < n; ++i)
  {
    expect(fs[i].done(), "cancels: a future is still pending after shutdown(true)");
    try
    {
      expect(fs[i].get() == static_cast<int>(i % 1000), "cancels: a completed task has the wrong value");
      ++completed;
    }
    catch (const herd::cancelled_error&)
    {
      ++cancelled;
    }
  }
  const auto s = ex.stats();
  expect_balanced(s, "cancels");
  expect(s.completed == completed && s.cancelled == cancelled && s.failed == 0,
         "cancels: the futures' outcomes and the executor's counts disagree");
  std::printf("cancels: %zu completed, %zu cancelled\n", completed, cancelled);
}

// shutdown(false, true) while 4 threads submit: submits after it throw
// shutdown_error; every accepted task ends (completed, or cancelled: its
// future rethrows shutdown_error), none is left pending once the executor is
// destroyed, and the counts balance.
void shutdown_storm(std::size_t rounds)
{
  for (std::size_t r = 0; r < rounds; ++r)
  {
    std::vector<std::vector<herd::future<int>>> accepted(submitters);
    herd::executor_stats s;
    {
      herd::async_executor ex(2);
      std::atomic<bool> go{false};
      std::vector<std::thread> threads;
      for (int t = 0; t < submitters; ++t)
        threads.emplace_back(
            [&ex, &go, &mine = accepted[t]]
            {
              while (!go.load())
                std::this_thread::yield();
              for (;;)
              {
                try
                {
                  mine.push_back(ex.submit([] { return 1; }));
                }
                catch (const herd::shutdown_error&)
                {
                  return;
                }
              }
            });
      go = true;
      while (ex.stats().submitted < 2000) // some accepted, some running, some queued
        std::this_thread::yield();
      ex.shutdown(false, true);
      for (auto& th : threads)
        th.join();
      ex.shutdown(true); // now wait for the pool to have drained
      s = ex.stats();
    }
    std::size_t total = 0, completed = 0, cancelled = 0;
    for (auto& mine : accepted)
      for (auto& f : mine)
      {
        ++total;
        expect(f.done(), "shutdown: a future is still pending after the executor was destroyed");
        try
        {
          expect(f.get() == 1, "shutdown: a completed task has the wrong value");
          ++completed;
        }
        catch (const herd::shutdown_error&) // cancelled by shutdown(…, true)
        {
          ++cancelled;
        }
      }
    expect(total == s.submitted, "shutdown: the accepted futures and the executor's count disagree");
    expect_balanced(s, "shutdown");
    expect(s.completed == completed && s.cancelled == cancelled,
           "shutdown: the futures' outcomes and the executor's counts disagree");
    if (r + 1 == rounds)
      std::printf("shutdown: last round: %zu accepted, %zu completed, %zu cancelled\n", total, completed, cancelled);
  }
}

// Futures of plain tasks, coroutine tasks and submit(submit_options) read
// after their executor is gone.
net::awaitable<int> coro_value(int v) { co_return v; }

void outlive(std::size_t n)
{
  std::vector<herd::future<int>> plain, coro, opts;
  {
    herd::async_executor ex(2);
    for (std::size_t i = 0; i < n; ++i)
    {
      plain.push_back(ex.submit([v = static_cast<int>(i)] { return v; }));
      coro.push_back(ex.submit(&coro_value, static_cast<int>(i)));
      opts.push_back(ex.submit(herd::submit_options{}, [v = static_cast<int>(i)] { return v; }));
    }
  } // waits for them: ~async_executor is shutdown(true)
  for (std::size_t i = 0; i < n; ++i)
  {
    expect(plain[i].get() == static_cast<int>(i), "outlive: a plain task's value is wrong");
    expect(coro[i].get() == static_cast<int>(i), "outlive: a coroutine task's value is wrong");
    expect(opts[i].get() == static_cast<int>(i), "outlive: a submit_options task's value is wrong");
  }
  plain.clear(); // the last references to the states go here, after the pool
  coro.clear();
  opts.clear();
}

} // namespace

int main(int argc, char** argv)
{
  if (argc < 2)
  {
    std::fprintf(stderr, "usage: herd_stress submits|cancels|shutdown|outlive [count]\n");
    return 2;
  }
  const std::string what = argv[1];
  auto count = [&](std::size_t dflt) { return argc > 2 ? std::stoull(argv[2]) : dflt; };
  const auto t0 = std::chrono::steady_clock::now();
  if (what == "submits")
    submits(count(200'000));
  else if (what == "cancels")
    cancels(count(100'000));
  else if (what == "shutdown")
    shutdown_storm(count(20));
  else if (what == "outlive")
    outlive(count(2'000));
  else
  {
    std::fprintf(stderr, "herd_stress: unknown program '%s'\n", what.c_str());
    return 2;
  }
  std::printf("%s: ok in %.2f s\n", what.c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return 0;
}
